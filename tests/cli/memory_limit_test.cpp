// `memory_limit` through the real executable: a run or sweep that would not fit is split into
// smaller batches (a lower row cap) with the same results bit for bit, or refused before it
// starts.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cli_fixture.h"
#include "common/tiny_sweep_fixture.h"
#include "engine/memory_plan.h"
#include "model/model_config.h"

namespace {

using gram::testing::Command;
using gram::testing::GramCli;
using gram::testing::read_records;
using gram::testing::run;

std::vector<nlohmann::json> trajectories(const std::string& path) {
  std::vector<nlohmann::json> found;
  for (const auto& record : read_records(path)) {
    if (record["type"] == "puzzle") found.push_back(record["trajectories"]);
  }
  return found;
}

TEST_F(GramCli, MemoryLimitLowersTheRowCapAndKeepsEveryResultBit) {
  const std::string config_path = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json";
  ASSERT_EQ(run("generate --random-model " + config_path + " --seed 4 --output " + path("m.safetensors")).status, 0);
  ASSERT_EQ(run("generate --task sudoku:4 --count 3 --seed 5 --output " + path("p.txt")).status, 0);
  const std::string common = "run --model " + path("m.safetensors") + " --puzzles " + path("p.txt") +
                             " --width 8 --depth 3 --halting --threads 1 ";

  // Room for the weights, the results of 3 x 8 trajectories and five and a half rows.
  std::ifstream file(config_path);
  const auto config = gram::model::ModelConfig::from_json(nlohmann::json::parse(file));
  const auto estimate = gram::engine::estimate_memory(config, 24, 0);
  const std::uint64_t limit =
      estimate.weight_bytes + estimate.result_bytes + 5 * estimate.row_bytes + estimate.row_bytes / 2;

  const Command limited = run(common + "--memory_limit " + std::to_string(limit) + " --output " + path("limited.jsonl"));
  ASSERT_EQ(limited.status, 0) << limited.output;
  EXPECT_NE(limited.output.find("row_cap 24 lowered to 5"), std::string::npos) << limited.output;
  const Command unlimited = run(common + "--output " + path("free.jsonl"));
  ASSERT_EQ(unlimited.status, 0) << unlimited.output;
  EXPECT_EQ(unlimited.output.find("lowered"), std::string::npos) << unlimited.output;

  const auto a = trajectories(path("limited.jsonl"));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a, trajectories(path("free.jsonl")));
  EXPECT_EQ(read_records(path("limited.jsonl"))[0]["config"]["memory_limit"], limit);
}

// A search is fitted like any run (engine/rank_rows.h), in whole puzzles: room for nine and a
// half rows holds two puzzles' four particles, and every answer stays the same.
TEST_F(GramCli, MemoryLimitFitsASearchInWholePuzzles) {
  const std::string config_path = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json";
  ASSERT_EQ(run("generate --random-model " + config_path + " --seed 4 --output " + path("m.safetensors")).status, 0);
  ASSERT_EQ(run("generate --task sudoku:4 --count 3 --seed 5 --output " + path("p.txt")).status, 0);
  const std::string common = "run --model " + path("m.safetensors") + " --puzzles " + path("p.txt") +
                             " --search smc --particles 4 --depth 3 --threads 1 ";
  std::ifstream file(config_path);
  const auto config = gram::model::ModelConfig::from_json(nlohmann::json::parse(file));
  const auto estimate = gram::engine::estimate_memory(config, 12, 0);
  const std::uint64_t limit =
      estimate.weight_bytes + estimate.result_bytes + 9 * estimate.row_bytes + estimate.row_bytes / 2;

  const Command limited = run(common + "--memory_limit " + std::to_string(limit) + " --output " + path("limited.jsonl"));
  ASSERT_EQ(limited.status, 0) << limited.output;
  EXPECT_NE(limited.output.find("row_cap 12 lowered to 8"), std::string::npos) << limited.output;
  const Command unlimited = run(common + "--output " + path("free.jsonl"));
  ASSERT_EQ(unlimited.status, 0) << unlimited.output;
  EXPECT_EQ(unlimited.output.find("lowered"), std::string::npos) << unlimited.output;
  const auto a = trajectories(path("limited.jsonl"));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a, trajectories(path("free.jsonl")));

  // Less than one puzzle's four rows: refused before the result file is written.
  const std::uint64_t too_small = estimate.weight_bytes + estimate.result_bytes + 3 * estimate.row_bytes;
  const Command refused = run(common + "--memory_limit " + std::to_string(too_small) + " --output " + path("r.jsonl"));
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.output.find("one puzzle's 4 search rows do not fit"), std::string::npos) << refused.output;
  EXPECT_FALSE(std::filesystem::exists(path("r.jsonl")));
}

TEST_F(GramCli, MemoryLimitBelowOneRowIsRefusedBeforeAnythingIsWritten) {
  const std::string config_path = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json";
  ASSERT_EQ(run("generate --random-model " + config_path + " --output " + path("m.safetensors")).status, 0);
  ASSERT_EQ(run("generate --task sudoku:4 --count 2 --output " + path("p.txt")).status, 0);
  std::ifstream file(config_path);
  const auto config = gram::model::ModelConfig::from_json(nlohmann::json::parse(file));
  const auto estimate = gram::engine::estimate_memory(config, 2, 0);
  const std::uint64_t limit = estimate.weight_bytes + estimate.result_bytes + estimate.row_bytes - 1;
  const Command refused = run("run --model " + path("m.safetensors") + " --puzzles " + path("p.txt") +
                              " --set memory_limit=" + std::to_string(limit) + " --output " + path("r.jsonl"));
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(refused.output.rfind("gram: error: memory: the run needs " +
                                     gram::engine::format_bytes(limit + 1) + " with a single row",
                                 0),
            0u)
      << refused.output;
  EXPECT_FALSE(std::filesystem::exists(path("r.jsonl")));
}

}  // namespace

namespace {

class SweepMemory : public gram::testing::TinySweep {
 protected:
  // The cells of a sweep without their timing, by line.
  std::vector<nlohmann::json> cells(const std::string& output) const {
    std::vector<nlohmann::json> found;
    for (auto record : read_records(path(output) + "/cells.jsonl")) {
      if (record["type"] != "cell") continue;
      record.erase("timing");
      found.push_back(record);
    }
    return found;
  }
};

// The sweep's widest run is 6 puzzles x 4 trajectories; a limit with room for three and a half
// rows splits every run into batches of 3 and changes no cell.
TEST_F(SweepMemory, LowersEachRunsRowCapAndKeepsEveryCell) {
  std::ifstream file(std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json");
  const auto config = gram::model::ModelConfig::from_json(nlohmann::json::parse(file));
  const auto estimate = gram::engine::estimate_memory(config, 24, 2);
  const std::uint64_t limit =
      estimate.weight_bytes + estimate.result_bytes + 3 * estimate.row_bytes + estimate.row_bytes / 2;
  const Command limited = run(sweep("limited", "--memory_limit " + std::to_string(limit)));
  ASSERT_EQ(limited.status, 0) << limited.output;
  EXPECT_NE(limited.output.find("row_cap 24 lowered to 3"), std::string::npos) << limited.output;
  const Command unlimited = run(sweep("unlimited"));
  ASSERT_EQ(unlimited.status, 0) << unlimited.output;
  const auto a = cells("limited");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, cells("unlimited"));
}

}  // namespace
