// `gram run --adaptive`: an adaptive run draws a prefix of the uniform run's trajectories for
// every puzzle, stops a puzzle only when its rule holds, and never stops one whose rule cannot.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/cli_fixture.h"

namespace {

using gram::testing::Command;
using gram::testing::GramCli;
using gram::testing::read_records;
using gram::testing::run;

class GramRunAdaptive : public GramCli {
 protected:
  // The shipped trained model: its trajectories agree often enough for rules to fire.
  const std::string model_ = std::string(GRAM_SOURCE_DIR) + "/models/sudoku6-gram-small.safetensors";
  const std::string puzzles_ = std::string(GRAM_SOURCE_DIR) + "/models/data/sudoku6-test.txt";
  // Puzzle index -> its trajectories array.
  std::map<int, nlohmann::json> trajectories(const std::string& extra, const std::string& output) {
    const Command result = run("run --model " + model_ + " --puzzles " + puzzles_ +
                               " --limit 8 --width 12 --depth 2 --threads 1 --output " + path(output) +
                               " " + extra);
    EXPECT_EQ(result.status, 0) << result.output;
    std::map<int, nlohmann::json> found;
    for (const auto& record : read_records(path(output))) {
      if (record["type"] == "puzzle") found[record["index"]] = record["trajectories"];
    }
    return found;
  }
};

TEST_F(GramRunAdaptive, ARuleThatCannotHoldGivesTheUniformRun) {
  const auto uniform = trajectories("", "uniform.jsonl");
  const auto adaptive = trajectories("--adaptive agreement --stop_window 13 --round 5", "never.jsonl");
  ASSERT_EQ(uniform.size(), 8u);
  EXPECT_EQ(adaptive, uniform);
}

TEST_F(GramRunAdaptive, BetaRuleStopsOnPrefixesOfTheUniformRun) {
  const auto uniform = trajectories("", "uniform.jsonl");
  const auto adaptive = trajectories("--adaptive beta --stop_threshold 0.9 --round 3", "beta.jsonl");
  ASSERT_EQ(adaptive.size(), uniform.size());
  int stopped_early = 0;
  for (const auto& [puzzle, drawn] : adaptive) {
    const std::size_t n = drawn.size();
    EXPECT_TRUE(n % 3 == 0 || n == 12) << "puzzle " << puzzle << ": " << n << " trajectories";
    for (std::size_t t = 0; t < n; ++t) {
      EXPECT_EQ(drawn[t], uniform.at(puzzle)[t]) << "puzzle " << puzzle << " trajectory " << t;
    }
    if (n < 12) {
      ++stopped_early;
      // It stopped because the leader was clear: with runner-up 0 that needs at least 3 votes
      // (P = 1 - 2^-(votes + 1) >= 0.9).
      std::map<std::string, int> votes;
      for (const auto& trajectory : drawn) ++votes[trajectory["answer"]];
      int leader = 0;
      for (const auto& [answer, count] : votes) leader = std::max(leader, count);
      EXPECT_GE(leader, 3) << "puzzle " << puzzle;
    }
  }
  EXPECT_GT(stopped_early, 0) << "the test needs some puzzle to settle early";
}

TEST_F(GramRunAdaptive, BadSettingsAreOneClearLine) {
  for (const std::string& extra : {std::string("--adaptive beta --stop_threshold 1.5"),
                                   std::string("--adaptive patience")}) {
    const Command result = run("run --model " + model_ + " --puzzles " + puzzles_ +
                               " --output " + path("bad.jsonl") + " " + extra);
    EXPECT_EQ(result.status, 1) << extra << "\n" << result.output;
    EXPECT_EQ(result.output.rfind("gram: error: ", 0), 0u) << result.output;
  }
}

}  // namespace
