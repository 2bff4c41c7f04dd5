// `gram run --search smc|beam`: its limits are the uniform run, its answers do not depend on the
// row cap, its records count every row it ran, and settings that make no sense are one line.
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

class GramRunSearch : public GramCli {
 protected:
  const std::string model_ = std::string(GRAM_SOURCE_DIR) + "/models/sudoku6-gram-small.safetensors";
  const std::string puzzles_ = std::string(GRAM_SOURCE_DIR) + "/models/data/sudoku6-test.txt";

  // Puzzle index -> its "puzzle" record, without the timing fields.
  std::map<int, nlohmann::json> puzzles(const std::string& extra, const std::string& output) {
    const Command result = run("run --model " + model_ + " --puzzles " + puzzles_ +
                               " --limit 4 --depth 3 --threads 1 --seed 7 --output " +
                               path(output) + " " + extra);
    EXPECT_EQ(result.status, 0) << result.output;
    std::map<int, nlohmann::json> found;
    for (auto record : read_records(path(output))) {
      if (record["type"] != "puzzle") continue;
      record.erase("time_to_first_answer_s");
      record.erase("time_to_decision_s");
      found[record["index"]] = record;
    }
    return found;
  }
};

TEST_F(GramRunSearch, WithoutSelectionItIsTheUniformRun) {
  const auto uniform = puzzles("--width 4", "uniform.jsonl");
  ASSERT_EQ(uniform.size(), 4u);
  const auto never = puzzles("--search smc --particles 4 --ess_threshold 0", "smc.jsonl");
  const auto single = puzzles("--search beam --beams 4 --expand 1", "beam.jsonl");
  for (const auto& [index, record] : uniform) {
    EXPECT_EQ(never.at(index)["trajectories"], record["trajectories"]) << "puzzle " << index;
    EXPECT_EQ(never.at(index)["aggregate"], record["aggregate"]) << "puzzle " << index;
    EXPECT_EQ(never.at(index)["applications"], record["applications"]);
    EXPECT_EQ(never.at(index)["search"]["state_copies"], 0);
    EXPECT_EQ(single.at(index)["trajectories"], record["trajectories"]) << "puzzle " << index;
    EXPECT_EQ(single.at(index)["search"]["state_copies"], 0);
  }
}

TEST_F(GramRunSearch, AnswersDoNotDependOnTheRowCap) {
  for (const std::string& search : {std::string("--search smc --particles 4 --temperature 0.01"),
                                    std::string("--search beam --beams 2 --expand 2")}) {
    const auto narrow = puzzles(search + " --row_cap 4 --overwrite true", "narrow.jsonl");
    const auto wide = puzzles(search + " --row_cap 11 --overwrite true", "wide.jsonl");
    const auto again = puzzles(search + " --row_cap 4 --overwrite true", "again.jsonl");
    ASSERT_EQ(narrow.size(), 4u) << search;
    EXPECT_EQ(wide, narrow) << search;
    EXPECT_EQ(again, narrow) << search;
    int copies = 0;
    for (const auto& [index, record] : narrow) copies += record["search"]["state_copies"].get<int>();
    EXPECT_GT(copies, 0) << search << ": the test needs the search to copy states";
  }
}

TEST_F(GramRunSearch, RecordsCountEveryRowAndCopy) {
  const auto beam = puzzles("--search beam --beams 2 --expand 3", "beam.jsonl");
  ASSERT_EQ(beam.size(), 4u);
  for (const auto& [index, record] : beam) {
    // The model runs T (K + 1) = 2 x 4 = 8 applications per step: 6 rows x 3 steps x 8.
    EXPECT_EQ(record["applications"], 144);
    EXPECT_EQ(record["search"]["rows"], 6);
    EXPECT_EQ(record["search"]["uniform_width"], 2);
    EXPECT_EQ(record["search"]["uniform_applications"], 48);
    // After steps 1 and 2, each of 2 survivors fills 2 more rows.
    EXPECT_EQ(record["search"]["state_copies"], 8);
    EXPECT_EQ(record["trajectories"].size(), 2u);
  }
  const auto summary = read_records(path("beam.jsonl")).back();
  EXPECT_EQ(summary["type"], "summary");
  EXPECT_EQ(summary["applications"], 4 * 144);
  EXPECT_EQ(summary["search"]["uniform_applications"], 4 * 48);
}

TEST_F(GramRunSearch, NonsenseIsOneClearLine) {
  const std::string deterministic =
      std::string(GRAM_SOURCE_DIR) + "/models/sudoku6-trm-small.safetensors";
  const std::map<std::string, std::string> cases = {
      {"--search smc --adaptive beta", "cannot be combined"},
      {"--search smc --halting true", "halting"},
      {"--search beam --width 4", "leave width at 1"},
      {"--search smc --temperature 0", "'temperature' must be > 0"},
      {"--search smc --ess_threshold 1.5", "'ess_threshold' must be <= 1"},
      {"--search smc --particles 8 --row_cap 4", "row_cap 4 cannot hold"},
      {"--search smc --model " + deterministic, "needs a stochastic model"},
      {"--search tree", "'search' expects one of"},
  };
  for (const auto& [extra, expected] : cases) {
    const Command result = run("run --model " + model_ + " --puzzles " + puzzles_ +
                               " --limit 2 --output " + path("bad.jsonl") + " " + extra);
    EXPECT_EQ(result.status, 1) << extra << "\n" << result.output;
    EXPECT_EQ(result.output.rfind("gram: error: ", 0), 0u) << result.output;
    EXPECT_NE(result.output.find(expected), std::string::npos) << extra << "\n" << result.output;
    EXPECT_EQ(result.output.find('\n'), result.output.size() - 1) << "one line: " << result.output;
  }
}

}  // namespace
