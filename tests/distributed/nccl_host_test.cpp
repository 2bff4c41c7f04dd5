// The host side of the NCCL communicator, which needs no GPU: the exchange of NCCL's id through
// a shared file (several threads and several processes), the deadline that ends a wait with one
// clear error, the layout of a gather of byte strings of different lengths, and the factory of
// a build without NCCL. tests/gpu runs the communicator itself.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "common/error_message.h"
#include "distributed/communicator.h"
#include "distributed/deadline.h"
#include "distributed/gather_layout.h"
#include "distributed/nccl_bootstrap.h"
#include "util/temp_dir.h"

namespace gram::dist {
namespace {

// 128 bytes, like an ncclUniqueId, with every byte value a hex round trip could get wrong.
std::string fake_id(int seed) {
  std::string id(128, '\0');
  for (int i = 0; i < 128; ++i) id[i] = static_cast<char>((i * 37 + seed) & 0xff);
  return id;
}

FileBootstrap bootstrap(const std::string& path, int rank, int size, double timeout = 10.0) {
  return {path, "job-7.0.0", rank, size, timeout};
}

TEST(NcclBootstrap, ThreadsReceiveRankZerosId) {
  const testing::TempDir directory;
  const std::string path = directory.file("nccl.id");
  const int size = 4;
  std::vector<std::future<std::string>> ranks;
  // The readers start first: they must wait for rank 0's file, not fail on its absence.
  for (int rank = size - 1; rank >= 0; --rank) {
    ranks.push_back(std::async(std::launch::async, [&, rank] {
      if (rank == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return exchange_id_over_file(bootstrap(path, rank, size), rank == 0 ? fake_id(1) : "");
    }));
  }
  for (auto& rank : ranks) EXPECT_EQ(rank.get(), fake_id(1));
  remove_bootstrap_file(bootstrap(path, 0, size));
  EXPECT_FALSE(std::filesystem::exists(path));
}

// Separate processes, as srun starts them: the children read what the parent (rank 0) writes.
TEST(NcclBootstrap, ProcessesReceiveRankZerosId) {
  const testing::TempDir directory;
  const std::string path = directory.file("nccl.id");
  const int size = 3;
  std::vector<pid_t> children;
  for (int rank = 1; rank < size; ++rank) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      int status = 1;
      try {
        status = exchange_id_over_file(bootstrap(path, rank, size), "") == fake_id(2) ? 0 : 2;
      } catch (...) {
        status = 3;
      }
      ::_exit(status);
    }
    children.push_back(child);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(exchange_id_over_file(bootstrap(path, 0, size), fake_id(2)), fake_id(2));
  for (pid_t child : children) {
    int status = -1;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
}

TEST(NcclBootstrap, DeadlineEndsTheWaitWithOneClearError) {
  const testing::TempDir directory;
  const std::string path = directory.file("nccl.id");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(testing_support::error_message(
                [&] { exchange_id_over_file(bootstrap(path, 2, 3, 0.2), ""); }),
            "NCCL bootstrap: no id from rank 0 in " + path +
                " within 0.2 s (GRAM_NCCL_TIMEOUT): the file does not exist (rank 2 of 3)");
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, 0.2);
  EXPECT_LT(waited, 5.0);
}

// A file another job left behind (a killed job cannot clean up) is not taken for this one's.
TEST(NcclBootstrap, StaleFileOfAnotherLaunchIsNotRead) {
  const testing::TempDir directory;
  const std::string path = directory.file("nccl.id");
  FileBootstrap old = bootstrap(path, 0, 3);
  old.token = "job-6.0.0";
  exchange_id_over_file(old, fake_id(3));
  EXPECT_EQ(testing_support::error_message(
                [&] { exchange_id_over_file(bootstrap(path, 1, 3, 0.2), ""); }),
            "NCCL bootstrap: no id from rank 0 in " + path +
                " within 0.2 s (GRAM_NCCL_TIMEOUT): it holds token job-6.0.0 for 3 ranks, not "
                "this launch's job-7.0.0 for 3 (a file another job left) (rank 1 of 3)");
  // Rank 0 of the new launch replaces it; then the reader gets the new id.
  exchange_id_over_file(bootstrap(path, 0, 3), fake_id(4));
  EXPECT_EQ(exchange_id_over_file(bootstrap(path, 1, 3), ""), fake_id(4));
}

TEST(NcclBootstrap, SettingsFromSlurmsEnvironment) {
  const char* names[] = {"SLURM_PROCID", "SLURM_NTASKS", "SLURM_JOB_ID", "SLURM_STEP_ID",
                         "SLURM_RESTART_COUNT", "SLURM_SUBMIT_DIR", "GRAM_NCCL_ID_FILE",
                         "GRAM_NCCL_TIMEOUT"};
  std::vector<std::pair<std::string, std::string>> saved;
  for (const char* name : names) {
    if (const char* value = std::getenv(name)) saved.emplace_back(name, value);
    ::unsetenv(name);
  }
  ::setenv("SLURM_PROCID", "1", 1);
  ::setenv("SLURM_NTASKS", "4", 1);
  ::setenv("SLURM_JOB_ID", "812", 1);
  ::setenv("SLURM_STEP_ID", "0", 1);
  ::setenv("SLURM_SUBMIT_DIR", "/shared/work", 1);
  FileBootstrap settings = file_bootstrap_from_environment();
  EXPECT_EQ(settings.rank, 1);
  EXPECT_EQ(settings.size, 4);
  EXPECT_EQ(settings.token, "812.0.0");
  EXPECT_EQ(settings.path, "/shared/work/.gram-nccl-812.0.0.id");
  EXPECT_EQ(settings.timeout_seconds, 1800.0);
  ::setenv("SLURM_RESTART_COUNT", "2", 1);
  ::setenv("GRAM_NCCL_ID_FILE", "/scratch/id", 1);
  ::setenv("GRAM_NCCL_TIMEOUT", "90", 1);
  settings = file_bootstrap_from_environment();
  EXPECT_EQ(settings.token, "812.0.2");
  EXPECT_EQ(settings.path, "/scratch/id");
  EXPECT_EQ(settings.timeout_seconds, 90.0);
  ::setenv("GRAM_NCCL_TIMEOUT", "soon", 1);
  EXPECT_EQ(testing_support::error_message([] { file_bootstrap_from_environment(); }),
            "GRAM_NCCL_TIMEOUT 'soon': expected a positive number of seconds");
  ::unsetenv("SLURM_PROCID");
  ::unsetenv("GRAM_NCCL_TIMEOUT");
  EXPECT_EQ(testing_support::error_message([] { file_bootstrap_from_environment(); }),
            "NCCL bootstrap: SLURM_PROCID is '', expected a whole number (is this process "
            "started by srun?)");
  for (const char* name : names) ::unsetenv(name);
  for (const auto& [name, value] : saved) ::setenv(name.c_str(), value.c_str(), 1);
}

TEST(Deadline, PollingStopsWhenDoneOrWhenTimeRunsOut) {
  int calls = 0;
  EXPECT_TRUE(poll_until([&] { return ++calls == 3; }, 5.0));
  EXPECT_EQ(calls, 3);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(poll_until([] { return false; }, 0.1));
  EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.1);
  EXPECT_EQ(deadline_message("NCCL gather", 2.5, rank_identity(1, 2, "node7")),
            "NCCL gather did not finish within 2.5 s (GRAM_NCCL_TIMEOUT): a peer rank is gone or "
            "stuck; the communicator was aborted (rank 1 of 2 on node7)");
}

TEST(GatherLayout, OffsetsFollowTheSizesInRankOrder) {
  const std::vector<std::uint64_t> sizes = {3, 0, 5, 1};
  const GatherLayout layout = gather_layout(sizes);
  EXPECT_EQ(layout.offsets, (std::vector<std::uint64_t>{0, 3, 3, 8}));
  EXPECT_EQ(layout.total, 9u);
  // What rank 0's buffer holds after the receives, cut back into one string per rank.
  const std::string buffer = std::string("abc") + std::string("\0\1\2\3\4", 5) + "z";
  EXPECT_EQ(unpack_gathered(buffer, layout),
            (std::vector<std::string>{"abc", "", std::string("\0\1\2\3\4", 5), "z"}));
  EXPECT_TRUE(gather_layout(std::vector<std::uint64_t>{}).offsets.empty());
}

TEST(GatherLayout, LengthsTravelInOneByteOrder) {
  unsigned char bytes[8];
  encode_size(0x0102030405060708ull, bytes);
  EXPECT_EQ(bytes[0], 0x08);
  EXPECT_EQ(bytes[7], 0x01);
  EXPECT_EQ(decode_size(bytes), 0x0102030405060708ull);
  encode_size(0, bytes);
  EXPECT_EQ(decode_size(bytes), 0u);
}

// One process: no device communicator is needed, whatever the build has.
TEST(DeviceCommunicator, OneRankKeepsItsLaunchCommunicator) {
  auto launch = make_single_process_communicator();
  if (!nccl_available()) {
    EXPECT_EQ(make_device_communicator(*launch), nullptr);
  }
  EXPECT_EQ(launch->kind(), "single");
}

}  // namespace
}  // namespace gram::dist
