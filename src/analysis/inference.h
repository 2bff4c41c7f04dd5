#pragma once
// Inference for the report's claims (science.md s4): intervals for a paired difference of two
// accuracies, intervals for per-trajectory rates that respect the puzzle they came from, and
// the multiplicity correction for a family of comparisons. Pure functions on counts, each
// tested against hand-computed cases (tests/analysis/inference_test.cpp).
#include <cstdint>
#include <span>
#include <vector>

#include "analysis/metrics.h"

namespace gram::analysis {

// Two methods scored on the same n puzzles: both right `both`, only A `only_a`, only B
// `only_b`, neither `neither`.
struct PairedCounts {
  std::int64_t both = 0, only_a = 0, only_b = 0, neither = 0;
  std::int64_t total() const { return both + only_a + only_b + neither; }
  // accuracy(A) - accuracy(B) = (only_a - only_b) / n.
  double difference() const;
};

// Newcombe's hybrid score interval for a paired difference of proportions (Newcombe 1998,
// "Improved confidence intervals for the difference between binomial proportions based on
// paired data", method 10): the Wilson intervals of both accuracies, combined through the
// continuity-corrected correlation phi of the paired outcomes. Unlike the Wald interval it stays inside [-1, 1] and
// does not collapse to a point when no pair is discordant. n == 0 gives [-1, 1].
Interval paired_difference_interval(const PairedCounts& counts, double confidence = 0.95);

// Holm's step-down adjustment: the family-wise error of m tests stays at alpha when each
// adjusted p is compared with alpha. Returns adjusted p-values in the input order.
std::vector<double> holm_adjust(std::span<const double> p_values);

// A rate over trajectories (pass@1: correct trajectories / trajectories) whose trajectories
// are grouped by puzzle. Trajectories of one puzzle are not independent, so the interval is a
// Wilson interval on an effective sample size: the pooled rate's variance estimated over
// puzzles (the ratio estimator's linearised, cluster-robust variance) turned into the number
// of independent trials that would give it, kept between the puzzle count (trajectories of a
// puzzle all alike) and the trajectory count (independent). Equal sizes are not required.
struct ClusteredRate {
  double rate = 0.0;                // sum(correct) / sum(trials)
  double effective_trials = 0.0;    // in [puzzles, trajectories]
  Interval interval;
};
ClusteredRate clustered_rate(std::span<const std::int64_t> correct,
                             std::span<const std::int64_t> trials, double confidence = 0.95);

// The mean of per-puzzle values (each puzzle one independent draw, e.g. its coverage@k) with
// Student's t interval over puzzles, clipped to [low_bound, high_bound]. One value gives the
// whole range; an empty sample throws.
Interval mean_interval(std::span<const double> values, double low_bound, double high_bound,
                       double confidence = 0.95);

// The Wilson interval with a real-valued trial count (what clustered_rate needs).
Interval wilson_interval_real(double rate, double trials, double confidence = 0.95);

}  // namespace gram::analysis
