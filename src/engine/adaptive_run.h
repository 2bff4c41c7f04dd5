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

}  // namespace gram::engine
