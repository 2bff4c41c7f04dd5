// The one rule that picks a rank's GPU (util/device_choice.h), shared by the CUDA backend and
// the NCCL communicator: local rank modulo the visible devices, the local rank taken from the
// communicator or the launcher's environment.
#include "util/device_choice.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "common/error_message.h"
#include "common/scoped_environment.h"
#include "util/error.h"

namespace gram {
namespace {

using testing_support::ScopedEnvironment;

TEST(DeviceChoice, LocalRankModuloTheVisibleDevices) {
  const ScopedEnvironment mask("CUDA_VISIBLE_DEVICES", std::nullopt);
  EXPECT_EQ(choose_device(4, {0, "communicator"}).device, 0);
  EXPECT_EQ(choose_device(4, {3, "communicator"}).device, 3);
  EXPECT_EQ(choose_device(4, {5, "communicator"}).device, 1);
  // One visible device per rank (Slurm's --gpus-per-task=1): every rank takes its device 0.
  EXPECT_EQ(choose_device(1, {7, "SLURM_LOCALID"}).device, 0);
  const DeviceChoice choice = choose_device(4, {5, "SLURM_LOCALID"});
  EXPECT_EQ(choice.visible, 4);
  EXPECT_EQ(describe(choice), "device 1 of 4 visible, local rank 5 from SLURM_LOCALID");
}

TEST(DeviceChoice, NamesCudaVisibleDevicesWhenSet) {
  const ScopedEnvironment mask("CUDA_VISIBLE_DEVICES", "2,3");
  const DeviceChoice choice = choose_device(2, {1, "communicator"});
  EXPECT_EQ(choice.device, 1);
  EXPECT_EQ(describe(choice),
            "device 1 of 2 visible, local rank 1 from communicator, CUDA_VISIBLE_DEVICES=2,3");
}

TEST(DeviceChoice, RefusesWhenNoDeviceIsVisible) {
  const ScopedEnvironment mask("CUDA_VISIBLE_DEVICES", "");
  EXPECT_EQ(testing_support::error_message([] { choose_device(0, {2, "communicator"}); }),
            "no CUDA device is visible to local rank 2 (CUDA_VISIBLE_DEVICES=)");
}

TEST(DeviceChoice, LocalRankFromTheLauncherEnvironment) {
  {
    const ScopedEnvironment open_mpi("OMPI_COMM_WORLD_LOCAL_RANK", std::nullopt);
    const ScopedEnvironment slurm("SLURM_LOCALID", std::nullopt);
    EXPECT_EQ(local_rank_from_environment().value, 0);
    EXPECT_EQ(local_rank_from_environment().source, "default");
  }
  {
    const ScopedEnvironment open_mpi("OMPI_COMM_WORLD_LOCAL_RANK", std::nullopt);
    const ScopedEnvironment slurm("SLURM_LOCALID", "3");
    EXPECT_EQ(local_rank_from_environment().value, 3);
    EXPECT_EQ(local_rank_from_environment().source, "SLURM_LOCALID");
  }
  {
    // mpirun's variable comes first (mpirun inside a Slurm allocation sets both).
    const ScopedEnvironment open_mpi("OMPI_COMM_WORLD_LOCAL_RANK", "1");
    const ScopedEnvironment slurm("SLURM_LOCALID", "0");
    EXPECT_EQ(local_rank_from_environment().value, 1);
    EXPECT_EQ(local_rank_from_environment().source, "OMPI_COMM_WORLD_LOCAL_RANK");
  }
  {
    const ScopedEnvironment open_mpi("OMPI_COMM_WORLD_LOCAL_RANK", "not a number");
    const ScopedEnvironment slurm("SLURM_LOCALID", std::nullopt);
    EXPECT_EQ(local_rank_from_environment().source, "default");
  }
  // A communicator's own figure wins over the environment.
  const ScopedEnvironment slurm("SLURM_LOCALID", "3");
  EXPECT_EQ(local_rank_or_environment(2).value, 2);
  EXPECT_EQ(local_rank_or_environment(2).source, "communicator");
  EXPECT_EQ(local_rank_or_environment(-1).value, 3);
}

}  // namespace
}  // namespace gram
