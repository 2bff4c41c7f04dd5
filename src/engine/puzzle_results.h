#pragma once
// From finished trajectories to per-puzzle results: grouping, aggregation, correctness, and the
// JSON records of a run file (docs/cli.md describes every field).
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/aggregate.h"
#include "engine/runner.h"
#include "model/model_config.h"
#include "records/summary_record.h"
#include "tasks/task.h"

namespace gram::engine {

// All trajectories of one puzzle, ordered by trajectory index.
struct PuzzleOutcome {
  std::uint32_t puzzle = 0;
  std::vector<TrajectoryResult> trajectories;
};

// Collects trajectories as they finish and hands out whole puzzles in puzzle order, so the
// output file is the same whatever order the trajectories finished in.
class PuzzleCollector {
 public:
  PuzzleCollector(std::uint32_t first_puzzle, std::uint32_t last_puzzle, int width);
  void add(TrajectoryResult&& result, const std::function<void(PuzzleOutcome&&)>& on_complete);
  bool finished() const { return next_ == last_; }

 private:
  std::uint32_t next_;
  std::uint32_t last_;
  int width_;
  std::map<std::uint32_t, PuzzleOutcome> pending_;
};

// The whole answer is right: equal to the reference solution for unique-solution tasks that
// have one, otherwise a valid solution that keeps the givens (science.md s4).
bool is_correct(const tasks::Task& task, const tasks::Puzzle& puzzle,
                std::span<const std::int32_t> answer, bool valid);

// Running totals for the summary record.
struct RunTotals {
  std::int64_t puzzles = 0;
  std::int64_t trajectories = 0;
  std::int64_t correct_trajectories = 0;
  std::int64_t applications = 0;
  std::int64_t steps = 0;  // supervision steps over all trajectories (halting shortens them)
  std::map<std::string, std::int64_t> correct_by_aggregator;
  // The value head as a verifier: per puzzle with right and wrong trajectories, the AUROC of
  // its scores (right above wrong), and per puzzle the spread max - min of its scores.
  bool value_head = false;
  double value_auroc_sum = 0.0;
  std::int64_t value_auroc_puzzles = 0;
  std::vector<double> value_spreads;
};

// One "puzzle" record; updates `totals`.
nlohmann::json puzzle_record(const tasks::Task& task, const tasks::Puzzle& puzzle,
                             const PuzzleOutcome& outcome, std::span<const Aggregator> aggregators,
                             const model::FlopCounts& flops, RunTotals& totals);
// The closing "summary" record, and its fields (a search adds its own).
records::SummaryRecord summary_of(const RunTotals& totals, double wall_seconds,
                                  const model::FlopCounts& flops);
nlohmann::json summary_record(const RunTotals& totals, double wall_seconds,
                              const model::FlopCounts& flops);

}  // namespace gram::engine
