// The NCCL communicator on a GPU: one rank, bootstrapped through a file as a job without MPI
// would be, runs every collective of the Communicator interface over device buffers. NCCL
// refuses two ranks on one GPU, so the multi-rank paths run on machines with several GPUs
// (docs/distributed.md); the host side (bootstrap, deadlines, layout) is tested in
// tests/distributed. Skipped without a device or without NCCL in the build.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "distributed/nccl_bootstrap.h"
#include "distributed/nccl_communicator.h"
#include "gpu/require_cuda.h"
#include "util/temp_dir.h"

namespace gram {
namespace {

TEST(NcclCommunicator, OneRankRunsEveryCollectiveOnTheDevice) {
  REQUIRE_CUDA(gpu, backend::CudaMath::kFp32);
  if (!dist::nccl_available()) GTEST_SKIP() << "this build has no NCCL (GRAM_NCCL=OFF)";
  const testing::TempDir directory;
  const dist::FileBootstrap bootstrap{directory.file("nccl.id"), "test.0.0", 0, 1, 60.0};
  dist::NcclSetup setup;
  setup.host = "this host";
  setup.exchange_id = [&](const std::string& id) { return dist::exchange_id_over_file(bootstrap, id); };
  setup.joined = [&] { dist::remove_bootstrap_file(bootstrap); };
  setup.timeout_seconds = 60.0;
  auto communicator = dist::make_nccl_communicator(setup);
  EXPECT_EQ(communicator->kind(), "nccl");
  EXPECT_EQ(communicator->size(), 1);
  const std::string bytes("results\0with a zero", 19);
  EXPECT_EQ(communicator->gather(bytes), std::vector<std::string>{bytes});
  EXPECT_EQ(communicator->gather(""), std::vector<std::string>{""});
  const std::string large(3 << 20, 'x');
  EXPECT_EQ(communicator->gather(large), std::vector<std::string>{large});
  EXPECT_EQ(communicator->broadcast(bytes), bytes);
  EXPECT_EQ(communicator->broadcast(""), "");
  communicator->barrier();
}

}  // namespace
}  // namespace gram
