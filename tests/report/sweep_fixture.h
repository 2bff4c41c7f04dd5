#pragma once
// A small sweep result directory written by hand, whose every table value is known:
//
//   small (1000 parameters, 1e6 FLOPs/step), halting off, 10 puzzles, budgets in steps
//     budget 16: 1x16 depth    majority 1000000110 (3/10)   derived from small-w4-d16
//                4x4  width+grid majority 0111111110 (8/10) derived
//                2x8  grid     majority 0111111111 (9/10)   derived
//     budget 64: 1x64 depth    majority 1000000000 (1/10)   run
//                4x16 width    majority 1111111100 (8/10)   run (small-w4-d16)
//   large (8000 parameters, 8e6 FLOPs/step), halting off
//     budget 8:  1x8  depth    majority 1111100000 (5/10)   run
//                2x4  width+grid majority 1111110000 (6/10) run
//
// Small budget 64 and large budget 8 are both 6.4e7 FLOPs per puzzle.
#include <string>

#include <nlohmann/json.hpp>

#include "util/temp_dir.h"

namespace gram::testing {

// training_flops: small 6e9, large 4.8e10 when known. comparisons: the sweep config's.
inline nlohmann::json fixture_context(bool training_flops,
                                      nlohmann::json comparisons = nlohmann::json::array()) {
  using nlohmann::json;
  json sweep = json::object();
  if (!comparisons.empty()) sweep["comparisons"] = comparisons;
  return {{"type", "context"}, {"host", "testhost"}, {"cores", 4}, {"commit", "abc1234"},
          {"build_type", "Release"}, {"compiler", "GNU-12"}, {"start_time", "2026-01-01T00:00:00Z"},
          {"command_line", "gram sweep --config s.yaml"}, {"environment", json::object()},
          {"backend", "cpu"}, {"task", "sudoku:9"}, {"puzzles_file", "p.csv"}, {"puzzles", 10},
          {"seed", 0}, {"budget_unit", "steps"}, {"sweep", sweep},
          {"peak", {{"flops_per_s", 1e11}, {"source", "measured SGEMM"}}},
          {"models",
           {{{"name", "small"}, {"path", "models/small.safetensors"}, {"parameters", 1000},
             {"flops_per_application", 1e5}, {"flops_per_step", 1e6},
             {"training_flops", training_flops ? json(6e9) : json(nullptr)},
             {"training_source", training_flops ? json("model file") : json(nullptr)}},
            {{"name", "large"}, {"path", "models/large.safetensors"}, {"parameters", 8000},
             {"flops_per_application", 8e5}, {"flops_per_step", 8e6},
             {"training_flops", training_flops ? json(4.8e10) : json(nullptr)},
             {"training_source", training_flops ? json("model file") : json(nullptr)}}}}};
}

inline int ones(const std::string& bits) {
  int count = 0;
  for (char bit : bits) count += bit == '1';
  return count;
}

inline nlohmann::json fixture_cell(const std::string& model, double budget, int width, int depth,
                                   nlohmann::json strategies, const std::string& majority,
                                   bool derived, const std::string& source_run) {
  using nlohmann::json;
  const double flops_per_step = model == "small" ? 1e6 : 8e6;
  const double flops_per_puzzle = flops_per_step * width * depth;
  json timing = nullptr;
  if (!derived) {
    timing = {{"wall_s", 2.0}, {"puzzles_per_s", 5.0}, {"trajectories_per_s", 5.0 * width},
              {"applications_per_s", 1000.0}, {"flops_per_s", 2e10},
              {"time_to_first_answer_s", {{"p50", 0.1}, {"p90", 0.2}, {"p99", 0.3}}},
              {"time_to_decision_s", {{"p50", 0.4}, {"p90", 0.5}, {"p99", 0.6}}}};
  }
  return {{"type", "cell"}, {"model", model}, {"halting", false}, {"strategies", strategies},
          {"budget", budget}, {"width", width}, {"depth", depth}, {"derived", derived},
          {"source_run", source_run}, {"puzzles", 10},
          {"correct", {{"majority", ones(majority)}, {"oracle", 10}}},
          {"per_puzzle", {{"majority", majority}, {"oracle", "1111111111"}}},
          {"pass_at_1", 0.5}, {"pass_at_k", 0.9}, {"coverage", nullptr},
          {"applications", 10 * width * depth * 22.0}, {"flops", 10 * flops_per_puzzle},
          {"applications_per_puzzle", width * depth * 22.0}, {"flops_per_puzzle", flops_per_puzzle},
          {"timing", timing}};
}

// The records of the fixture, one JSON line each.
inline std::string fixture_lines(bool training_flops = false,
                                 nlohmann::json comparisons = nlohmann::json::array()) {
  using nlohmann::json;
  const json records[] = {
      fixture_context(training_flops, comparisons),
      fixture_cell("small", 16, 1, 16, {"depth"}, "1000000110", true, "small-w4-d16"),
      fixture_cell("small", 16, 4, 4, {"width", "grid"}, "0111111110", true, "small-w4-d16"),
      fixture_cell("small", 16, 2, 8, {"grid"}, "0111111111", true, "small-w4-d16"),
      fixture_cell("small", 64, 1, 64, {"depth"}, "1000000000", false, "small-w1-d64"),
      fixture_cell("small", 64, 4, 16, {"width"}, "1111111100", false, "small-w4-d16"),
      fixture_cell("large", 8, 1, 8, {"depth"}, "1111100000", false, "large-w1-d8"),
      fixture_cell("large", 8, 2, 4, {"width", "grid"}, "1111110000", false, "large-w2-d4"),
      {{"type", "entropy"}, {"model", "small"}, {"halting", false}, {"source_run", "small-w4-d16"},
       {"width", 4}, {"entropy_bits", {0.5, 1.0, 1.5, 1.25}}}};
  std::string text;
  for (const json& record : records) text += record.dump() + "\n";
  return text;
}

// Writes DIR/cells.jsonl with `text` into a fresh directory `name` of `temp`; returns DIR.
inline std::string write_sweep(const TempDir& temp, const std::string& name, const std::string& text) {
  const std::string directory = temp.file(name);
  std::filesystem::create_directories(directory);
  std::ofstream(directory + "/cells.jsonl", std::ios::binary) << text;
  return directory;
}

}  // namespace gram::testing
