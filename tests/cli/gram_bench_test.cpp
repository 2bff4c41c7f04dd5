// `gram bench` through the real executable: it verifies before timing, reports every case with
// a context block, and refuses bad options with one line.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "common/cli_fixture.h"

namespace {

using gram::testing::Command;
using gram::testing::GramCli;
using gram::testing::read_records;
using gram::testing::run;

TEST_F(GramCli, BenchVerifiesThenTimesEachCase) {
  const std::string config = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json";
  ASSERT_EQ(run("generate --random-model " + config + " --seed 2 --output " + path("m.safetensors")).status, 0);
  const Command result = run("bench --model " + path("m.safetensors") +
                             " --widths 1,3 --depths 1,2 --repetitions 2 --warmup 0 --threads 1"
                             " --peak_gflops 10 --output " + path("bench.json"));
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("| width | depth | rows | #wrong |"), std::string::npos) << result.output;
  const auto records = read_records(path("bench.json"));
  ASSERT_EQ(records.size(), 1u);
  const auto& bench = records[0];
  EXPECT_EQ(bench["type"], "bench");
  EXPECT_TRUE(bench.contains("commit"));
  EXPECT_EQ(bench["peak"]["source"], "configured");
  ASSERT_EQ(bench["rows"].size(), 4u);  // 2 widths x 2 depths
  for (const auto& row : bench["rows"]) {
    EXPECT_EQ(row["wrong"], 0) << row.dump();
    EXPECT_EQ(row["verified"], row["trajectories"]) << row.dump();
    const double median = row["trajectories_per_s"]["median"];
    EXPECT_GT(median, 0.0);
    EXPECT_LE(row["trajectories_per_s"]["min"].get<double>(), median);
    EXPECT_GE(row["trajectories_per_s"]["max"].get<double>(), median);
    // The work per repetition follows from the shapes: 4 puzzles x width x depth steps.
    EXPECT_EQ(row["trajectories"], 4 * row["width"].get<int>());
    EXPECT_EQ(row["applications"], row["trajectories"].get<int>() * row["depth"].get<int>() * 6);
  }
}

// A GPU's widest cases would keep the CPU reference busy for hours: `verify` checks the first
// trajectories of each case only, and says how many.
TEST_F(GramCli, BenchVerifiesTheFirstTrajectoriesWhenAsked) {
  const std::string config = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json";
  ASSERT_EQ(run("generate --random-model " + config + " --seed 2 --output " + path("m.safetensors")).status, 0);
  const Command result = run("bench --model " + path("m.safetensors") +
                             " --widths 1,8 --depths 1 --repetitions 1 --warmup 0 --threads 1"
                             " --verify 3 --peak_gflops 10 --output " + path("bench.json"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto rows = read_records(path("bench.json"))[0]["rows"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["verified"], 3);   // 4 puzzles x width 1, first 3 checked
  EXPECT_EQ(rows[1]["verified"], 3);   // of 32
  EXPECT_EQ(rows[1]["trajectories"], 32);
  EXPECT_EQ(rows[1]["wrong"], 0);
}

TEST_F(GramCli, BenchRefusesBadOptions) {
  for (const std::string& options : {std::string("--widths 0"), std::string("--model x --peak_gflops fast"),
                                     std::string("--model ") + path("missing.safetensors")}) {
    const Command result = run("bench " + options);
    EXPECT_EQ(result.status, 1) << options << "\n" << result.output;
    EXPECT_EQ(result.output.rfind("gram: error: ", 0), 0u) << result.output;
  }
}

}  // namespace
