// settled_width: the number of trajectories an adaptive run draws for a puzzle, read from a
// wider run's answers; hand-worked cases.
#include <gtest/gtest.h>

#include <vector>

#include "engine/adaptive_run.h"

namespace {

using gram::engine::AdaptiveSettings;
using gram::engine::Candidate;
using gram::engine::StoppingRule;

std::vector<Candidate> answers(std::initializer_list<std::uint64_t> hashes) {
  std::vector<Candidate> result;
  for (std::uint64_t hash : hashes) result.push_back({hash, 0.0f, false});
  return result;
}

TEST(SettledWidth, StopsAtTheFirstRoundWhoseRuleHolds) {
  AdaptiveSettings settings;
  settings.stopping = {StoppingRule::kAgreement, 0.95, 2};
  settings.round = 2;
  settings.width = 6;
  // After 2: (1, 2) disagree; after 4: the last two (3, 3) agree.
  EXPECT_EQ(gram::engine::settled_width(answers({1, 2, 3, 3, 3, 3}), settings), 4);
  // Checked at round ends only: trajectories 1 and 2 agree, but no round ends there.
  EXPECT_EQ(gram::engine::settled_width(answers({1, 2, 2, 3, 4, 4}), settings), 6);
}

TEST(SettledWidth, ARuleThatNeverHoldsTakesTheWholeWidth) {
  AdaptiveSettings settings;
  settings.stopping = {StoppingRule::kBeta, 0.95, 4};
  settings.round = 2;
  settings.width = 5;  // the last round is short: 2, 4, 5
  EXPECT_EQ(gram::engine::settled_width(answers({1, 2, 1, 2, 1, 2, 2}), settings), 5);
  // Beta at 0.95 needs 4 unanimous votes (31/32): after 4.
  EXPECT_EQ(gram::engine::settled_width(answers({9, 9, 9, 9, 9}), settings), 4);
}

}  // namespace
