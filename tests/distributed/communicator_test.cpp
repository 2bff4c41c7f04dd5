// The communicator seam without a launcher: a plain process gets the single-process
// communicator, and the launcher's environment is read as documented (docs/distributed.md).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "distributed/communicator.h"

namespace gram::dist {
namespace {

// Sets environment variables for one test and restores them afterwards.
class LauncherEnvironment : public ::testing::Test {
 protected:
  static constexpr const char* kNames[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                           "SLURM_PROCID", "SLURM_NTASKS"};
  void SetUp() override {
    for (const char* name : kNames) {
      if (const char* value = std::getenv(name)) saved_.emplace_back(name, value);
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kNames) ::unsetenv(name);
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
  }
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(LauncherEnvironment, PlainProcessIsAloneAndCollectivesAreCopies) {
  const Launch launch = detect_launch();
  EXPECT_FALSE(launch.wants_mpi);
  EXPECT_EQ(launch.launcher, "none");
  auto communicator = make_communicator(nullptr, nullptr);
  EXPECT_EQ(communicator->kind(), "single");
  EXPECT_EQ(communicator->rank(), 0);
  EXPECT_EQ(communicator->size(), 1);
  EXPECT_EQ(communicator->local_rank(), 0);
  EXPECT_FALSE(communicator->host().empty());
  EXPECT_EQ(communicator->gather("abc"), std::vector<std::string>{"abc"});
  EXPECT_EQ(communicator->broadcast(std::string("x\0y", 3)), std::string("x\0y", 3));
  communicator->barrier();
}

TEST_F(LauncherEnvironment, LaunchersAreRecognisedByTheirVariables) {
  ::setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
  Launch launch = detect_launch();
  EXPECT_EQ(launch.launcher, "mpirun");
  EXPECT_EQ(launch.expected_size, 4);
  EXPECT_TRUE(launch.wants_mpi);
  ::unsetenv("OMPI_COMM_WORLD_SIZE");

  ::setenv("PMIX_RANK", "1", 1);
  ::setenv("SLURM_PROCID", "1", 1);
  ::setenv("SLURM_NTASKS", "2", 1);
  launch = detect_launch();
  EXPECT_EQ(launch.launcher, "pmix");
  EXPECT_EQ(launch.expected_size, 2);
  ::unsetenv("PMIX_RANK");

  // srun without an MPI plugin: still a multi-rank launch, which make_communicator checks.
  launch = detect_launch();
  EXPECT_EQ(launch.launcher, "slurm");
  EXPECT_TRUE(launch.wants_mpi);

  // A batch script's single task (SLURM_NTASKS=1) is a plain process.
  ::setenv("SLURM_NTASKS", "1", 1);
  EXPECT_FALSE(detect_launch().wants_mpi);
}

TEST_F(LauncherEnvironment, MultiRankLaunchWithoutMpiIsRefused) {
  if (mpi_available()) GTEST_SKIP() << "this build has MPI; the refusal is for builds without";
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  try {
    make_communicator(nullptr, nullptr);
    ADD_FAILURE() << "a 2-rank launch ran without MPI";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("this build has no MPI"), std::string::npos)
        << error.what();
  }
  // One rank needs no MPI.
  ::setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
  EXPECT_EQ(make_communicator(nullptr, nullptr)->kind(), "single");
}

}  // namespace
}  // namespace gram::dist
