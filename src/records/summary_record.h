#pragma once
// The "summary" record that closes a `gram run` result file: puzzles, accuracy per aggregator,
// compute and throughput over the whole run, the value head's quality as a verifier, and for a
// search what it spent against uniform width (docs/cli.md lists the fields). The engine fills
// it from its running totals (engine::summary_of); `gram run` writes to_json() and prints from
// the struct.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace gram::records {

// What a search run adds (`gram run --search`).
struct SearchSummary {
  std::string kind;  // smc or beam
  int rows_per_puzzle = 0;
  std::int64_t state_copies = 0;
  int uniform_width = 0;  // the uniform run with as many answers
  std::int64_t uniform_applications = 0;
};

struct SummaryRecord {
  std::int64_t puzzles = 0;
  std::int64_t trajectories = 0;
  std::map<std::string, double> accuracy;  // aggregator -> fraction of puzzles solved
  double trajectory_accuracy = 0.0;
  double steps_mean = 0.0;
  // The value head as a verifier (null without one or without puzzles to rank).
  std::optional<double> value_auroc_within;
  std::int64_t value_auroc_puzzles = 0;
  std::optional<double> value_spread_median;
  std::int64_t applications = 0;
  double flops = 0.0;
  double wall_s = 0.0;
  double puzzles_per_s = 0.0;
  double trajectories_per_s = 0.0;
  double applications_per_s = 0.0;
  double flops_per_s = 0.0;
  std::optional<SearchSummary> search;
};

nlohmann::json to_json(const SummaryRecord& summary);

}  // namespace gram::records
