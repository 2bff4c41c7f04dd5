#pragma once
// The metrics and statistics of science.md s4, each defined once. Pure functions on counts and
// per-puzzle outcomes, so each can be unit-tested against a hand-computed case; `gram sweep`
// derives cells with them and `gram report` renders their results.
#include <cstdint>
#include <span>
#include <vector>

namespace gram::analysis {

// Unbiased pass@k (Chen et al. 2021): the chance that k samples drawn without replacement from
// n, of which c are correct, contain a correct one: 1 - C(n-c, k) / C(n, k). Requires
// 0 <= c <= n and 1 <= k <= n.
double pass_at_k(int n, int c, int k);

// Wilson score interval for a proportion successes/trials at the given confidence (0.95 -> 95%).
// trials == 0 gives [0, 1].
struct Interval {
  double low = 0.0;
  double high = 1.0;
};
Interval wilson_interval(std::int64_t successes, std::int64_t trials, double confidence = 0.95);

// McNemar's test for two strategies scored on the same puzzles. `b`: puzzles only A solved,
// `c`: puzzles only B solved. The p-value is exact (two-sided binomial on b + c discordant
// pairs with p = 1/2), which is right for the small counts of our puzzle sets; b + c == 0
// gives p = 1.
struct McNemarResult {
  std::int64_t only_a = 0;
  std::int64_t only_b = 0;
  double p_value = 1.0;
};
McNemarResult mcnemar(std::span<const bool> a_correct, std::span<const bool> b_correct);

// Area under the ROC curve of a score separating `positive` from `negative` samples: the chance
// that a random positive scores above a random negative, ties counting half. A verifier is
// judged by this within one puzzle (its right against its wrong trajectories), since that is
// the choice best-of-n makes. Throws gram::Error when either side is empty.
double auroc(std::span<const double> positive, std::span<const double> negative);

// Shannon entropy in bits of the empirical distribution of `answers` (hashes); 0 when empty.
double answer_entropy_bits(std::span<const std::uint64_t> answers);

// Percentile by linear interpolation between closest ranks (numpy's default); q in [0, 100].
// Throws gram::Error on an empty sample.
double percentile(std::vector<double> sample, double q);

// coverage: distinct valid answers found among `valid_answers` / `solutions` (the instance's
// solution count from the exact solver). 0 when solutions == 0.
double coverage(std::span<const std::uint64_t> valid_answers, std::int64_t solutions);

}  // namespace gram::analysis
