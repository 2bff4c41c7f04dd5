// The report's inference (analysis/inference.h) against cases computed by hand (the formulas
// written out in a few lines of Python, quoted beside each number).
#include <gtest/gtest.h>

#include <vector>

#include "analysis/inference.h"
#include "util/error.h"

namespace gram::analysis {
namespace {

// Newcombe's method 10 on a = 12 both right, b = 9 only A, c = 2 only B, d = 21 neither (the
// paper's worked example): delta = 7/44 = 0.159091; phi = (12*21 - 9*2 - 44/2) /
// sqrt(21*23*14*30) = 0.470693; interval [0.0112, 0.2954] as published, here to 1e-8 of the
// formula evaluated by hand: [0.011242504, 0.295371781].
TEST(PairedDifferenceInterval, NewcombeMethodTenHandCase) {
  const PairedCounts counts{12, 9, 2, 21};
  EXPECT_NEAR(counts.difference(), 7.0 / 44.0, 1e-12);
  const Interval interval = paired_difference_interval(counts);
  EXPECT_NEAR(interval.low, 0.011242504, 1e-8);
  EXPECT_NEAR(interval.high, 0.295371781, 1e-8);
}

TEST(PairedDifferenceInterval, SymmetricAndNeverAPoint) {
  // Swapping A and B mirrors the interval.
  const Interval forward = paired_difference_interval({30, 7, 3, 10});
  const Interval backward = paired_difference_interval({30, 3, 7, 10});
  EXPECT_NEAR(forward.low, -backward.high, 1e-12);
  EXPECT_NEAR(forward.high, -backward.low, 1e-12);
  // No discordant pair: the difference is 0 but the interval still has width (phi = 0.95 after
  // the correction, half-width 0.046803).
  const Interval none = paired_difference_interval({20, 0, 0, 20});
  EXPECT_NEAR(none.low, -0.046803205, 1e-8);
  EXPECT_NEAR(none.high, 0.046803205, 1e-8);
  // Everything one-sided stays inside [-1, 1].
  const Interval all = paired_difference_interval({0, 50, 0, 0});
  EXPECT_LE(all.high, 1.0);
  EXPECT_GT(all.low, 0.8);
  EXPECT_EQ(paired_difference_interval({}).low, -1.0);
  EXPECT_THROW(paired_difference_interval({-1, 0, 0, 0}), Error);
}

// p = (0.01, 0.04, 0.03, 0.005): sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03,
// 0.06, 0.04, made monotone: 0.02, 0.03, 0.06, 0.06.
TEST(Holm, HandCaseInInputOrder) {
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  const std::vector<double> adjusted = holm_adjust(p);
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_NEAR(adjusted[0], 0.03, 1e-12);
  EXPECT_NEAR(adjusted[1], 0.06, 1e-12);
  EXPECT_NEAR(adjusted[2], 0.06, 1e-12);
  EXPECT_NEAR(adjusted[3], 0.02, 1e-12);
  EXPECT_NEAR(holm_adjust(std::vector<double>{0.6, 0.7})[0], 1.0, 1e-12);  // capped at 1
  EXPECT_TRUE(holm_adjust(std::vector<double>{}).empty());
  EXPECT_THROW(holm_adjust(std::vector<double>{1.5}), Error);
}

// 3 puzzles x 4 trajectories with 4, 0 and 2 right: rate 0.5, linearised variance
// 3/2 * (4 + 4 + 0) / 144 = 1/12, effective trials 0.25 / (1/12) = 3 = the puzzle count (the
// puzzles' trajectories agree as much as they can), Wilson(0.5, 3) = [0.125334, 0.874666].
TEST(ClusteredRate, CorrelatedTrajectoriesCountAsFewTrials) {
  const std::vector<std::int64_t> correct = {4, 0, 2};
  const std::vector<std::int64_t> trials = {4, 4, 4};
  const ClusteredRate rate = clustered_rate(correct, trials);
  EXPECT_DOUBLE_EQ(rate.rate, 0.5);
  EXPECT_NEAR(rate.effective_trials, 3.0, 1e-12);
  EXPECT_NEAR(rate.interval.low, 0.1253344719, 1e-9);
  EXPECT_NEAR(rate.interval.high, 0.8746655281, 1e-9);
}

TEST(ClusteredRate, IndependentLookingPuzzlesKeepEveryTrial) {
  // Every puzzle 2 of 4: no between-puzzle spread, so all 40 trajectories count, and the
  // interval is the pooled Wilson interval.
  const std::vector<std::int64_t> correct(10, 2), trials(10, 4);
  const ClusteredRate rate = clustered_rate(correct, trials);
  EXPECT_DOUBLE_EQ(rate.effective_trials, 40.0);
  const Interval pooled = wilson_interval(20, 40);
  EXPECT_NEAR(rate.interval.low, pooled.low, 1e-12);
  EXPECT_NEAR(rate.interval.high, pooled.high, 1e-12);
  // All right: the puzzle count, and the upper end exactly 1.
  const std::vector<std::int64_t> all(5, 4), four(5, 4);
  const ClusteredRate perfect = clustered_rate(all, four);
  EXPECT_DOUBLE_EQ(perfect.effective_trials, 5.0);
  EXPECT_DOUBLE_EQ(perfect.interval.high, 1.0);
  EXPECT_NEAR(perfect.interval.low, wilson_interval(5, 5).low, 1e-12);
  EXPECT_THROW(clustered_rate(std::vector<std::int64_t>{5}, std::vector<std::int64_t>{4}), Error);
}

// {0.2, 0.5, 0.9, 0.4}: mean 0.5, sample sd 0.294392, t(0.975, 3) = 3.182446: half-width
// 3.182446 x 0.294392 / 2 = 0.468443.
TEST(MeanInterval, StudentsTHandCase) {
  const std::vector<double> values = {0.2, 0.5, 0.9, 0.4};
  const Interval interval = mean_interval(values, 0.0, 1.0);
  EXPECT_NEAR(interval.low, 0.0315565877, 1e-9);
  EXPECT_NEAR(interval.high, 0.9684434123, 1e-9);
  // Clipped to the bounds, a single value gives the whole range, none is an error.
  const std::vector<double> spread = {0.0, 1.0, 0.0};
  EXPECT_EQ(mean_interval(spread, 0.0, 1.0).low, 0.0);
  EXPECT_EQ(mean_interval(std::vector<double>{0.3}, 0.0, 1.0).high, 1.0);
  EXPECT_THROW(mean_interval(std::vector<double>{}, 0.0, 1.0), Error);
}

}  // namespace
}  // namespace gram::analysis
