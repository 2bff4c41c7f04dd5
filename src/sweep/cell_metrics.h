#pragma once
// One sweep cell's figures, read from the per-step answers of a run (sweep_plan.h explains why
// any N' <= N, S' <= S is a prefix of a run of N x S). The metrics themselves are defined once
// in analysis/metrics.h; this file only decides which trajectories and steps they see.
#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/aggregate.h"
#include "engine/puzzle_results.h"
#include "tasks/task.h"

namespace gram::sweep {

struct CellShape {
  int width = 1;  // N: trajectories 0..N-1 of the run
  int depth = 1;  // S: the answer after step min(S, steps the trajectory ran)
};

struct CellCosts {
  std::int64_t applications_per_step = 0;
  double flops_per_step = 0.0;
};

// What the task's puzzles need beyond themselves: the hash of each reference solution (0 when
// a puzzle has none) and, for multi-solution tasks, each puzzle's solution count (coverage).
struct PuzzleTruth {
  std::vector<std::uint64_t> target_hashes;
  std::vector<std::int64_t> solution_counts;  // empty for unique-solution tasks
};
PuzzleTruth puzzle_truth(const tasks::Task& task, std::span<const tasks::Puzzle> puzzles);

// The "cell" record of docs/reports.md without its identity and timing fields: puzzles,
// correct / per_puzzle per aggregator, pass_at_1, pass_at_k, coverage, applications, flops and
// their per-puzzle means. `outcomes` hold every puzzle of the run (with history), in order.
nlohmann::json cell_figures(std::span<const engine::PuzzleOutcome> outcomes,
                            const PuzzleTruth& truth, std::span<const engine::Aggregator> aggregators,
                            CellShape shape, CellCosts costs);

// The same figures when each puzzle reads its own number of trajectories: widths[p] for the
// p-th outcome (an adaptive policy's cell); pass_at_k then uses k = widths[p].
nlohmann::json cell_figures(std::span<const engine::PuzzleOutcome> outcomes,
                            const PuzzleTruth& truth, std::span<const engine::Aggregator> aggregators,
                            std::span<const int> widths, int depth, CellCosts costs);

// Puzzle p's candidates: its first `width` trajectories' answers after `depth` steps.
std::vector<engine::Candidate> candidates_at(const engine::PuzzleOutcome& outcome, int width,
                                             int depth);

// Mean over puzzles of the answer entropy (bits) across all the run's trajectories, after each
// step 1..depth (a halted trajectory keeps its last answer).
std::vector<double> entropy_by_depth(std::span<const engine::PuzzleOutcome> outcomes, int depth);

}  // namespace gram::sweep
