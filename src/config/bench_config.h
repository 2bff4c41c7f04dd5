#pragma once
// The typed configuration of `gram bench` (config_table.h: YAML, --set, --help, echo).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config_table.h"

namespace gram::config {

struct BenchConfig {
  std::string model;                          // safetensors checkpoint
  std::string backend = "cpu";
  std::vector<std::string> widths = {"1", "16", "64", "256"};  // trajectories per puzzle
  std::vector<std::string> depths = {"4"};    // supervision steps (no halting: fixed work)
  std::string puzzles;                        // puzzle file; empty: generated from the task
  int puzzle_count = 4;                       // puzzles per batch (rows = puzzles x width)
  int warmup = 1;                             // untimed repetitions first
  int repetitions = 5;                        // timed repetitions; median and spread reported
  int verify = 0;                             // trajectories checked against the CPU (0: all)
  int threads = 0;
  std::uint64_t seed = 0;
  std::string peak_gflops = "measured";       // "measured" (backend GEMM) or a number
  std::string output;                         // JSON file (context + rows); empty: none
  bool overwrite = false;                     // replace an existing output file
};

using BenchField = Field<BenchConfig>;
const std::vector<BenchField>& bench_config_fields();
void validate(const BenchConfig& config);
nlohmann::json to_json(const BenchConfig& config);
// widths/depths as numbers (validated >= 1).
std::vector<int> parse_positive_list(const std::string& name, const std::vector<std::string>& items);

}  // namespace gram::config
