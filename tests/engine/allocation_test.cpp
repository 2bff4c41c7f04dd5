// Difficulty-aware allocation on hand-worked cases: the estimate, the proportional split with
// its cap and rounding, and the whole allocation of a small puzzle set.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "engine/allocation.h"

namespace {

using gram::engine::AllocationSettings;
using gram::engine::Candidate;

std::vector<Candidate> answers(std::initializer_list<std::uint64_t> hashes,
                               std::initializer_list<float> values) {
  std::vector<Candidate> result;
  auto value = values.begin();
  for (std::uint64_t hash : hashes) result.push_back({hash, *value++, false});
  return result;
}

TEST(Allocation, DifficultyFromTheLeadersShareAndValueScores) {
  const auto probe = answers({1, 1, 2, 1}, {0.8f, 0.6f, 0.9f, 1.0f});
  // Leader 1 with 3 of 4 votes; its value scores 0.8, 0.6, 1.0 average 0.8.
  const auto with_values = gram::engine::estimate_difficulty(probe, true);
  EXPECT_DOUBLE_EQ(with_values.share, 0.75);
  EXPECT_NEAR(with_values.confidence, 0.8, 1e-6);
  EXPECT_NEAR(with_values.difficulty, 1.0 - 0.75 * 0.8, 1e-6);
  EXPECT_FALSE(with_values.settled);
  const auto without = gram::engine::estimate_difficulty(probe, false);
  EXPECT_DOUBLE_EQ(without.confidence, 1.0);
  EXPECT_DOUBLE_EQ(without.difficulty, 0.25);
  const auto unanimous = gram::engine::estimate_difficulty(answers({4, 4}, {0.5f, 0.5f}), true);
  EXPECT_TRUE(unanimous.settled);
  EXPECT_NEAR(unanimous.difficulty, 0.5, 1e-6);
}

TEST(Allocation, SplitsInProportionToWeight) {
  const std::vector<double> weights{0.0, 0.5, 0.25, 0.25};
  EXPECT_EQ(gram::engine::split_by_weight(weights, 8, 10), (std::vector<int>{0, 4, 2, 2}));
}

TEST(Allocation, AFullPuzzleLeavesItsShareToTheOthers) {
  // 10 x 0.5 = 5 exceeds the room of 4; the other two share the 6 left: 3 each.
  const std::vector<double> weights{0.5, 0.25, 0.25};
  EXPECT_EQ(gram::engine::split_by_weight(weights, 10, 4), (std::vector<int>{4, 3, 3}));
  // Every puzzle full: what is left is not spent.
  EXPECT_EQ(gram::engine::split_by_weight(weights, 20, 4), (std::vector<int>{4, 4, 4}));
}

TEST(Allocation, RoundingSumsExactlyToTheBudget) {
  // 4 / 3 each: 1 each, and the one left over to the lowest index among equal remainders.
  const std::vector<double> equal{1.0, 1.0, 1.0};
  EXPECT_EQ(gram::engine::split_by_weight(equal, 4, 10), (std::vector<int>{2, 1, 1}));
  // 7 x (0.1, 0.3, 0.6) = 0.7, 2.1, 4.2: floors 0, 2, 4 and the one left to the largest
  // remainder (0.7).
  const std::vector<double> skewed{0.1, 0.3, 0.6};
  const auto split = gram::engine::split_by_weight(skewed, 7, 10);
  EXPECT_EQ(split, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(std::accumulate(split.begin(), split.end(), 0), 7);
}

TEST(Allocation, WholeSetProbeIncludedInTheBudget) {
  // 4 puzzles, probe 2, mean budget 4: 16 trajectories, 8 of them for the probe.
  AllocationSettings settings;
  settings.probe = 2;
  settings.budget = 4.0;
  settings.cap = 8;
  settings.use_values = true;
  const std::vector<std::vector<Candidate>> probes{
      answers({5, 5}, {0.9f, 0.9f}),  // settled: nothing more
      answers({1, 2}, {0.9f, 0.1f}),  // tie, leader 1 by value: share 0.5, confidence 0.9 -> 0.55
      answers({6, 6}, {0.1f, 0.1f}),  // settled even with low value scores
      answers({3, 4}, {0.2f, 0.2f}),  // tie, leader 3: share 0.5, confidence 0.2 -> 0.9
  };
  // 8 extra in proportion 0.55 : 0.9 = 3.03 : 4.97 -> floors 3, 4, the remainder to puzzle 3.
  const auto widths = gram::engine::allocate_widths(probes, settings);
  EXPECT_EQ(widths, (std::vector<int>{2, 5, 2, 7}));
  EXPECT_EQ(std::accumulate(widths.begin(), widths.end(), 0), 16);

  // Without value scores both open puzzles weigh 0.5: 4 more each.
  settings.use_values = false;
  EXPECT_EQ(gram::engine::allocate_widths(probes, settings), (std::vector<int>{2, 6, 2, 6}));

  // A cap of 5 leaves room for 3 more each: 6 of the 8 are spent.
  settings.cap = 5;
  EXPECT_EQ(gram::engine::allocate_widths(probes, settings), (std::vector<int>{2, 5, 2, 5}));
}

TEST(Allocation, BudgetIsFlooredOverThePuzzleSet) {
  AllocationSettings settings;
  settings.budget = 6.3;
  EXPECT_EQ(gram::engine::total_trajectories(settings, 10), 63);
  EXPECT_EQ(gram::engine::total_trajectories(settings, 3), 18);  // 18.9
}

}  // namespace
