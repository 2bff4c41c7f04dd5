#pragma once
// Difficulty-aware allocation (Snell et al. 2024, compute-optimal test-time scaling): one total
// budget of trajectories for a whole puzzle set, spent where the answers are still in doubt.
//
//   1. A cheap first round: `probe` trajectories for every puzzle (trajectories 0..probe-1).
//   2. A difficulty per puzzle from those answers: share = the leader's votes / probe (the
//      leader as majority voting picks it), confidence = the mean value score of the leader's
//      trajectories (1 when value scores are not used), difficulty = 1 - share * confidence.
//   3. The rest of the budget, budget_total - probe * puzzles (the estimate's own cost is part
//      of the budget), goes to the puzzles whose probe did not agree unanimously, in proportion
//      to their difficulty, at most cap - probe more each. Puzzles whose probe answers all
//      agree are settled and get nothing more. The proportional shares are water-filled (a
//      puzzle whose share exceeds its room gets the room and the others share what it leaves),
//      then rounded down, and the trajectories left by rounding go one each to the largest
//      remainders (ties to the lower puzzle index), so the allocation sums exactly to the
//      budget unless every open puzzle is full (then what is left is not spent).
//
// Puzzle p then runs trajectories 0..width_p-1: a prefix of the uniform run, so the result is
// the same on any rank count and can be derived from a sweep's recorded width run.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/aggregate.h"

namespace gram::engine {

struct AllocationSettings {
  int probe = 4;          // first-round trajectories per puzzle
  double budget = 8.0;    // mean trajectories per puzzle over the set, the probe included
  int cap = 32;           // at most this many trajectories for one puzzle
  bool use_values = true;  // confidence from value scores (false: models without a value head)
};

struct Difficulty {
  double share = 0.0;       // leader's votes / trajectories
  double confidence = 1.0;  // mean value score of the leader's trajectories, in [0, 1]
  double difficulty = 1.0;  // 1 - share * confidence
  bool settled = false;     // every answer is the leader
};

// From one puzzle's probe answers (trajectory order). Requires at least one answer.
Difficulty estimate_difficulty(std::span<const Candidate> probe, bool use_values);

// The whole budget in trajectories: floor(budget * puzzles).
std::int64_t total_trajectories(const AllocationSettings& settings, std::size_t puzzles);

// Splits `extra` trajectories over puzzles by `weights` (0 = gets none), at most `room` each,
// by the water-filling and largest-remainder rule above. Sums to min(extra, room * number of
// puzzles with a positive weight).
std::vector<int> split_by_weight(std::span<const double> weights, std::int64_t extra, int room);

// Trajectories per puzzle (probe included) from every puzzle's probe answers.
std::vector<int> allocate_widths(std::span<const std::vector<Candidate>> probes,
                                 const AllocationSettings& settings);

}  // namespace gram::engine
