#pragma once
// Adaptive width: instead of N trajectories for every puzzle, trajectories in rounds, each
// puzzle closing as soon as its answers have settled (engine/stopping_rules.h), so easy puzzles
// stop early and the budget goes where the answer is still in doubt.
//
// Round r runs trajectories [r * round, (r + 1) * round) of every puzzle still open, all in one
// work list, so rows stay full across puzzles (a puzzle that closes frees its rows for the
// others' trajectories). The trajectories are the same ones a uniform run would draw
// (trajectory t's noise depends on (seed, puzzle, t) only), so an adaptive run is a prefix of
// the uniform one, puzzle by puzzle. Rank 0 decides which puzzles stay open and broadcasts the
// decision, so any number of ranks runs the same rounds.
#include <cstdint>
#include <functional>
#include <span>

#include "engine/allocation.h"
#include "engine/distributed_run.h"
#include "engine/puzzle_results.h"
#include "engine/runner.h"
#include "engine/stopping_rules.h"

namespace gram::engine {

struct AdaptiveSettings {
  StoppingSettings stopping;
  int round = 4;  // trajectories per open puzzle per round
  int width = 1;  // at most this many per puzzle
};

// Runs the rounds; on rank 0, hands every puzzle's trajectories (in trajectory order) to
// `on_puzzle` in puzzle order once all rounds are done. Returns the number of rounds.
int run_adaptive(DistributedRun& ranks, Runner& runner, std::span<const tasks::Puzzle> puzzles,
                 const AdaptiveSettings& settings,
                 const std::function<void(PuzzleOutcome&&)>& on_puzzle);

// How many of a puzzle's trajectories an adaptive run draws, read from the answers of a wider
// run (all of them, in trajectory order): the first multiple of `round` (or `width`) at which
// the rule holds, else `width`. The same decision run_adaptive makes round by round, so a sweep
// can derive an adaptive run from its recorded width run.
int settled_width(std::span<const Candidate> answers, const AdaptiveSettings& settings);

// Difficulty-aware allocation (engine/allocation.h) in two rounds: the probe for every puzzle,
// then each puzzle's share of the rest. Rank 0 allocates and broadcasts the widths, so any
// number of ranks runs the same trajectories; on rank 0, hands every puzzle's trajectories (in
// trajectory order) to `on_puzzle` in puzzle order.
void run_allocated(DistributedRun& ranks, Runner& runner, std::span<const tasks::Puzzle> puzzles,
                   const AllocationSettings& settings,
                   const std::function<void(PuzzleOutcome&&)>& on_puzzle);

}  // namespace gram::engine
