// `gram run`, `gram info`, `gram generate` end to end through the real executable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "backend/fixed_order_gemm.h"
#include "common/cli_fixture.h"

namespace {

using gram::testing::Command;
using gram::testing::GramCli;
using gram::testing::read_records;
using gram::testing::run;
namespace fs = std::filesystem;

TEST_F(GramCli, RunsSudokuCsvAndWritesRecords) {
  const std::string config = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku9-demo.json";
  ASSERT_EQ(run("generate --random-model " + config + " --seed 3 --output " + path("m.safetensors")).status, 0);
  write("p.csv",
        "source,q,a,rating\n"
        "test,..3.2.6..9..3.5..1..18.64....81.29..7.......8..67.82....26.95..8..2.3..9..5.1.3..,"
        "483921657967345821251876493548132976729564138136798245372689514814253769695417382,0\n");
  const Command result = run("run --model " + path("m.safetensors") + " --puzzles " + path("p.csv") +
                             " --width 3 --depth 2 --output " + path("r.jsonl"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto records = read_records(path("r.jsonl"));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["type"], "context");
  EXPECT_EQ(records[0]["config"]["width"], 3);
  EXPECT_TRUE(records[0].contains("commit"));
  EXPECT_EQ(records[1]["type"], "puzzle");
  EXPECT_EQ(records[1]["id"], "test:2");
  EXPECT_EQ(records[1]["trajectories"].size(), 3u);
  EXPECT_EQ(records[1]["trajectories"][0]["steps"], 2);
  EXPECT_EQ(records[1]["aggregate"]["majority"]["board"].get<std::string>().size(), 81u);
  EXPECT_EQ(records[2]["type"], "summary");
  EXPECT_EQ(records[2]["trajectories"], 3);

  // Same seed, same answers; and an existing output is not clobbered.
  const Command again = run("run --model " + path("m.safetensors") + " --puzzles " + path("p.csv") +
                            " --width 3 --depth 2 --output " + path("r.jsonl"));
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.output.find("exists"), std::string::npos) << again.output;
  ASSERT_EQ(run("run --model " + path("m.safetensors") + " --puzzles " + path("p.csv") +
                " --width 3 --depth 2 --output " + path("r2.jsonl")).status, 0);
  const auto second = read_records(path("r2.jsonl"));
  EXPECT_EQ(second[1]["trajectories"], records[1]["trajectories"]);
}

TEST_F(GramCli, RunsNQueensWithHalting) {
  write("nq.json", R"({"task": "nqueens:8", "vocab_size": 3, "seq_len": 64, "prefix_len": 1,
    "hidden_size": 16, "num_layers": 1, "mixer": "attention", "num_heads": 2,
    "position_encoding": "rope", "ffn_hidden": 32, "l_cycles": 1, "h_cycles": 1, "max_steps": 4,
    "noise": {"enabled": true, "hidden": 8}, "has_value_head": true})");
  ASSERT_EQ(run("generate --random-model " + path("nq.json") + " --output " + path("m.safetensors")).status, 0);
  ASSERT_EQ(run("generate --task nqueens:8 --count 3 --removed 6 --seed 2 --output " + path("q.txt")).status, 0);
  const Command result = run("run --model " + path("m.safetensors") + " --puzzles " + path("q.txt") +
                             " --width 4 --depth 3 --halting --set aggregators=majority,oracle --output " +
                             path("r.jsonl"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto records = read_records(path("r.jsonl"));
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0]["task"], "nqueens:8");
  EXPECT_TRUE(records[1]["aggregate"].contains("oracle"));
  EXPECT_FALSE(records[1]["aggregate"].contains("best_of_n"));
}

TEST_F(GramCli, BadInputGivesOneLineError) {
  write("bad.safetensors", "not a model");
  write("p.txt", "1234\n");
  const Command result = run("run --model " + path("bad.safetensors") + " --puzzles " + path("p.txt"));
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.output.rfind("gram: error: ", 0), 0u) << result.output;
  EXPECT_NE(result.output.find("bad.safetensors"), std::string::npos) << result.output;
  const Command unknown = run("run --widht 3");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.output.find("--widht"), std::string::npos) << unknown.output;
}

TEST_F(GramCli, InfoPrintsFlops) {
  const std::string config = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json";
  ASSERT_EQ(run("generate --random-model " + config + " --output " + path("m.safetensors")).status, 0);
  const Command info = run("info " + path("m.safetensors"));
  ASSERT_EQ(info.status, 0) << info.output;
  EXPECT_NE(info.output.find("FLOPs per application"), std::string::npos);
  EXPECT_NE(info.output.find("parameters:"), std::string::npos);
}

}  // namespace

namespace {

// Results may not depend on how many trajectories share a batch (science.md s5): the same run
// at two row caps writes the same trajectories, value scores to the last bit included. A model
// as wide as the demo's is needed: OpenBLAS changes kernels with the matrix height there.
TEST_F(GramCli, RowCapDoesNotChangeAnyResultBit) {
  const std::string config = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku9-demo.json";
  ASSERT_EQ(run("generate --random-model " + config + " --seed 1 --output " + path("m.safetensors")).status, 0);
  const std::string puzzles = std::string(GRAM_SOURCE_DIR) + "/../shared/data/sudoku/top95.txt";
  if (!fs::exists(puzzles)) {
    ASSERT_EQ(run("generate --task sudoku:9 --count 4 --seed 2 --output " + path("p.txt")).status, 0);
  }
  const std::string source = fs::exists(puzzles) ? puzzles : path("p.txt");
  std::vector<nlohmann::json> trajectories[2];
  const int caps[2] = {3, 64};
  for (int i = 0; i < 2; ++i) {
    const std::string output = path("r" + std::to_string(i) + ".jsonl");
    const Command result = run("run --model " + path("m.safetensors") + " --puzzles " + source +
                               " --limit 3 --width 3 --depth 2 --threads 1 --row_cap " +
                               std::to_string(caps[i]) + " --output " + output);
    ASSERT_EQ(result.status, 0) << result.output;
    for (const auto& record : read_records(output)) {
      if (record["type"] == "puzzle") trajectories[i].push_back(record["trajectories"]);
    }
  }
  ASSERT_EQ(trajectories[0].size(), 3u);
  EXPECT_EQ(trajectories[0], trajectories[1]);
}

// The same bits under every GEMM kernel this CPU runs (GRAM_CPU_GEMM) and under OpenBLAS's
// Haswell kernel (OPENBLAS_CORETYPE, which the engine's products no longer depend on), on the
// shipped GRAM model: answers, steps and value scores of every trajectory.
TEST_F(GramCli, GemmKernelAndBlasCoreDoNotChangeAnyResultBit) {
  const std::string model = std::string(GRAM_SOURCE_DIR) + "/models/sudoku6-gram-small.safetensors";
  const std::string puzzles = std::string(GRAM_SOURCE_DIR) + "/models/data/sudoku6-test.txt";
  struct Setting {
    const char* gemm;
    const char* blas_core;
  };
  std::vector<Setting> settings = {{"portable", nullptr}};
  if (gram::backend::cpu_supports(gram::backend::GemmKernel::kAvx2)) {
    settings.push_back({"avx2", "Haswell"});
  }
  if (gram::backend::cpu_supports(gram::backend::GemmKernel::kAvx512)) {
    settings.push_back({"avx512", nullptr});
  }
  std::vector<nlohmann::json> first;
  for (const Setting& setting : settings) {
    ::setenv("GRAM_CPU_GEMM", setting.gemm, 1);
    if (setting.blas_core != nullptr) ::setenv("OPENBLAS_CORETYPE", setting.blas_core, 1);
    const std::string output = path(std::string(setting.gemm) + ".jsonl");
    const Command result = run("run --model " + model + " --puzzles " + puzzles +
                               " --limit 3 --width 5 --depth 3 --threads 2 --row_cap 4 --output " +
                               output);
    ::unsetenv("GRAM_CPU_GEMM");
    ::unsetenv("OPENBLAS_CORETYPE");
    ASSERT_EQ(result.status, 0) << result.output;
    std::vector<nlohmann::json> trajectories;
    for (const auto& record : read_records(output)) {
      if (record["type"] == "puzzle") trajectories.push_back(record["trajectories"]);
      if (record["type"] == "context") {
        EXPECT_NE(record["backend"].get<std::string>().find(setting.gemm), std::string::npos)
            << "the kernel is named in the result file: " << record["backend"];
      }
    }
    ASSERT_EQ(trajectories.size(), 3u);
    if (first.empty()) {
      first = trajectories;
    } else {
      EXPECT_EQ(trajectories, first) << "GRAM_CPU_GEMM=" << setting.gemm;
    }
  }
}

}  // namespace
