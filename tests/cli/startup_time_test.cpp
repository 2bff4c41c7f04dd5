// `gram --help` and a one-line error finish at once: the CUDA runtime and MPI are plugins that
// only the commands using them open (src/util/plugin.h), and the CPU backend's own threads need
// no second start of the binary (src/backend/thread_pool.h). The bound is generous so that a
// loaded CI machine does not fail it; docs/performance.md has the measured times.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "common/cli_fixture.h"

namespace gram {
namespace {

constexpr double kBoundSeconds = 0.5;

// The best of three runs: a busy machine can stall any one of them.
double fastest_run(const std::string& arguments, gram::testing::Command& last) {
  double best = 1e9;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto start = std::chrono::steady_clock::now();
    last = gram::testing::run(arguments);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                              .count());
  }
  return best;
}

TEST(StartUp, HelpFinishesFast) {
  gram::testing::Command command;
  const double seconds = fastest_run("--help", command);
  EXPECT_EQ(command.status, 0);
  EXPECT_NE(command.output.find("usage: gram <command>"), std::string::npos) << command.output;
  EXPECT_LT(seconds, kBoundSeconds);
  std::printf("gram --help: %.3f s (best of 3)\n", seconds);
}

TEST(StartUp, ABadInputErrorFinishesFast) {
  gram::testing::Command command;
  const double seconds =
      fastest_run("run --model /nonexistent/model.safetensors --puzzles p.txt", command);
  EXPECT_EQ(command.status, 1);
  EXPECT_EQ(command.output.rfind("gram: error: ", 0), 0u) << command.output;
  EXPECT_LT(seconds, kBoundSeconds);
  std::printf("gram run (missing model): %.3f s (best of 3)\n", seconds);
}

}  // namespace
}  // namespace gram
