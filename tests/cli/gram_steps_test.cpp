// `gram steps` through the real executable: its dump is the computation `gram run` does (the
// same value head output, bit for bit, for the same seed, puzzle and trajectory), its boards are
// the argmax of its logits, and a bad index is refused in one line with nothing written.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cli_fixture.h"

namespace {

using gram::testing::GramCli;
using gram::testing::read_records;
using gram::testing::run;

const std::string kModels = std::string(GRAM_SOURCE_DIR) + "/models/";
const std::string kModel = kModels + "sudoku6-gram-small.safetensors";
const std::string kPuzzles = kModels + "data/sudoku6-test.txt";

using GramSteps = GramCli;

TEST_F(GramSteps, EachStepIsWhatGramRunComputes) {
  ASSERT_EQ(run("steps --model " + kModel + " --puzzles " + kPuzzles +
                " --indices 0,3 --trajectories 0,1 --steps 3 --seed 5 --output " + path("s.jsonl"))
                .status,
            0);
  ASSERT_EQ(run("run --model " + kModel + " --puzzles " + kPuzzles + " --limit 4 --width 2" +
                " --depth 3 --seed 5 --threads 1 --output " + path("r.jsonl"))
                .status,
            0);
  // (puzzle, trajectory) -> the value after the last step, as `gram run` recorded it.
  std::map<std::pair<int, int>, double> run_values;
  std::map<int, std::vector<int>> run_inputs;
  for (const auto& record : read_records(path("r.jsonl"))) {
    if (record["type"] != "puzzle") continue;
    for (const auto& trajectory : record["trajectories"]) {
      run_values[{record["index"].get<int>(), trajectory["trajectory"].get<int>()}] =
          trajectory["value"].get<double>();
    }
  }
  int inputs = 0, last_steps = 0;
  for (const auto& record : read_records(path("s.jsonl"))) {
    const std::pair<int, int> key{record["puzzle"].get<int>(), record["trajectory"].get<int>()};
    if (record["type"] == "input") {
      EXPECT_EQ(record["tokens"].size(), 36u);
      ++inputs;
      continue;
    }
    // The board is the argmax of the logits, cell by cell.
    const auto& logits = record["logits"];
    ASSERT_EQ(logits.size(), 36u);
    for (std::size_t cell = 0; cell < logits.size(); ++cell) {
      const std::vector<float> row = logits[cell].get<std::vector<float>>();
      const auto best = std::max_element(row.begin(), row.end()) - row.begin();
      EXPECT_EQ(record["tokens"][cell].get<int>(), best) << "cell " << cell;
    }
    if (record["step"] != 3) continue;
    ASSERT_TRUE(run_values.count(key)) << record.dump();
    EXPECT_EQ(record["value"].get<double>(), run_values.at(key)) << record.dump();
    ++last_steps;
  }
  EXPECT_EQ(inputs, 4);
  EXPECT_EQ(last_steps, 4);
}

TEST_F(GramSteps, AnIndexPastTheFileIsRefusedAndNothingIsWritten) {
  const auto result = run("steps --model " + kModel + " --puzzles " + kPuzzles +
                          " --indices 100000 --output " + path("s.jsonl"));
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.output.find("gram: error: " + kPuzzles + ": has "), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("'indices' names puzzle 100000"), std::string::npos)
      << result.output;
  EXPECT_FALSE(std::filesystem::exists(path("s.jsonl")));
}

}  // namespace
