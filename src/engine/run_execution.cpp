// One path from a planned run or search to its finished puzzles (engine/run_execution.h).
#include "engine/run_execution.h"

#include <chrono>

#include "engine/recursive_model.h"

namespace gram::engine {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Every trajectory of every puzzle, handed over puzzle by puzzle as each puzzle completes.
ShareStats run_uniform(DistributedRun& ranks, Runner& runner,
                       std::span<const tasks::Puzzle> puzzles, int width,
                       const std::function<void(const TrajectoryResult&)>& on_local,
                       const std::function<void(PuzzleOutcome&&)>& on_puzzle) {
  const auto puzzle_count = static_cast<std::uint32_t>(puzzles.size());
  const auto items = make_work(0, puzzle_count, width);
  PuzzleCollector collector(0, puzzle_count, width);
  return ranks.run(runner, puzzles, items, on_local, [&](TrajectoryResult&& trajectory) {
    collector.add(std::move(trajectory), on_puzzle);
  });
}

}  // namespace

RunExecution execute_run(DistributedRun& ranks, backend::Backend& backend, const RunModel& model,
                         const tasks::Task& task, std::span<const tasks::Puzzle> puzzles,
                         const RunSettings& settings, const RunShape& shape, int row_cap,
                         const std::function<void(const TrajectoryResult&)>& on_local,
                         const std::function<void(PuzzleOutcome&&)>& on_puzzle) {
  RecursiveModel recursive(model.model, backend, row_cap, model.sampler);
  if (model.verifier != nullptr) recursive.attach_verifier(*model.verifier);
  Runner runner(recursive, task, settings);
  RunExecution execution;
  const auto start = std::chrono::steady_clock::now();
  if (shape.allocation) {
    run_allocated(ranks, runner, puzzles, *shape.allocation, on_puzzle);
  } else if (shape.adaptive) {
    run_adaptive(ranks, runner, puzzles, *shape.adaptive, on_puzzle);
  } else {
    execution.share = run_uniform(ranks, runner, puzzles, shape.width, on_local, on_puzzle);
  }
  execution.wall_seconds = seconds_since(start);
  return execution;
}

double execute_search(DistributedRun& ranks, backend::Backend& backend, const RunModel& model,
                      const tasks::Task& task, std::span<const tasks::Puzzle> puzzles,
                      const SearchSettings& settings, int row_cap,
                      const std::function<void(const SearchOutcome&)>& on_local,
                      const std::function<void(SearchOutcome&&)>& on_puzzle) {
  RecursiveModel recursive(model.model, backend, row_cap, model.sampler);
  if (model.verifier != nullptr) recursive.attach_verifier(*model.verifier);
  const auto start = std::chrono::steady_clock::now();
  run_search_on_ranks(ranks, recursive, task, puzzles, settings, on_local, on_puzzle);
  return seconds_since(start);
}

}  // namespace gram::engine
