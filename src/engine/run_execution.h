#pragma once
// Running a planned run or search on every rank: the one path `gram run` and `gram sweep` take
// from "this model, these puzzles, this shape, this many rows" to each finished puzzle on rank 0.
// The callers keep what differs between them (result files, progress lines, records); the model
// on the backend, the runner and the distribution of work are built here, once.
#include <functional>
#include <optional>
#include <span>

#include "backend/backend.h"
#include "engine/adaptive_run.h"
#include "engine/allocation.h"
#include "engine/distributed_run.h"
#include "engine/distributed_search.h"
#include "engine/puzzle_results.h"
#include "engine/runner.h"
#include "engine/sampler.h"
#include "engine/search_run.h"
#include "model/verifier.h"
#include "model/weights.h"
#include "tasks/task.h"

namespace gram::engine {

// The model as a run uses it: its weights, the sampler that gives it width, and the verifier
// whose score replaces its value head (none: the model's own head, if it has one).
struct RunModel {
  const model::Model& model;
  const SamplerSettings& sampler;
  const model::Verifier* verifier = nullptr;
};

// How a run spends its trajectories: `width` of every puzzle, or (with `adaptive` or
// `allocation`) as many as the rule or the allocation decides, `width` at most.
struct RunShape {
  int width = 1;
  std::optional<AdaptiveSettings> adaptive;
  std::optional<AllocationSettings> allocation;

  static RunShape uniform(int width) {
    RunShape shape;
    shape.width = width;
    return shape;
  }
};

struct RunExecution {
  double wall_seconds = 0.0;  // from the first trajectory to the last puzzle handed over
  ShareStats share;           // this rank's share (uniform width only; zero otherwise)
};

// Runs `puzzles` x `shape` on every rank in batches of `row_cap` rows (engine/rank_rows.h).
// `on_local` sees each of this rank's trajectories as it finishes (progress; may be empty);
// `on_puzzle`, on rank 0 only, gets every puzzle's trajectories in puzzle order.
RunExecution execute_run(DistributedRun& ranks, backend::Backend& backend, const RunModel& model,
                         const tasks::Task& task, std::span<const tasks::Puzzle> puzzles,
                         const RunSettings& settings, const RunShape& shape, int row_cap,
                         const std::function<void(const TrajectoryResult&)>& on_local,
                         const std::function<void(PuzzleOutcome&&)>& on_puzzle);

// The same for a latent search: this rank's block of whole puzzles, `row_cap` rows (a multiple
// of the puzzle's rows). `on_local` and `on_puzzle` as for run_search_on_ranks.
double execute_search(DistributedRun& ranks, backend::Backend& backend, const RunModel& model,
                      const tasks::Task& task, std::span<const tasks::Puzzle> puzzles,
                      const SearchSettings& settings, int row_cap,
                      const std::function<void(const SearchOutcome&)>& on_local,
                      const std::function<void(SearchOutcome&&)>& on_puzzle);

}  // namespace gram::engine
