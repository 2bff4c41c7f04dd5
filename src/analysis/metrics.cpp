// The metrics of science.md s4. Distributions come from Boost.Math rather than hand-written
// series, so the quantiles and tails are the library's, tested far beyond what we would test.
#include "analysis/metrics.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/normal.hpp>

#include "util/error.h"

namespace gram::analysis {

double pass_at_k(int n, int c, int k) {
  if (n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw Error("pass@k needs 0 <= c <= n and 1 <= k <= n, got n=" + std::to_string(n) +
                " c=" + std::to_string(c) + " k=" + std::to_string(k));
  }
  if (n - c < k) return 1.0;
  // 1 - C(n-c, k) / C(n, k) as a product, which never forms the (huge) binomials.
  double all_wrong = 1.0;
  for (int i = n - c + 1; i <= n; ++i) all_wrong *= 1.0 - static_cast<double>(k) / i;
  return 1.0 - all_wrong;
}

Interval wilson_interval(std::int64_t successes, std::int64_t trials, double confidence) {
  if (successes < 0 || trials < 0 || successes > trials) {
    throw Error("Wilson interval needs 0 <= successes <= trials, got " +
                std::to_string(successes) + "/" + std::to_string(trials));
  }
  if (!(confidence > 0.0 && confidence < 1.0)) {
    throw Error("Wilson interval confidence must lie in (0, 1), got " + std::to_string(confidence));
  }
  if (trials == 0) return {0.0, 1.0};
  const boost::math::normal standard_normal;
  const double z = boost::math::quantile(standard_normal, 0.5 + confidence / 2.0);
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
  const double half = z / (1.0 + z2 / n) * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
  // At p = 0 (p = 1) the lower (upper) end is exactly 0 (1); rounding must not move it.
  return {successes == 0 ? 0.0 : std::max(0.0, centre - half),
          successes == trials ? 1.0 : std::min(1.0, centre + half)};
}

double auroc(std::span<const double> positive, std::span<const double> negative) {
  if (positive.empty() || negative.empty()) {
    throw Error("AUROC needs samples of both classes, got " + std::to_string(positive.size()) +
                " positive and " + std::to_string(negative.size()) + " negative");
  }
  // Pairwise, exact: the sample sizes are one puzzle's trajectories.
  double wins = 0.0;
  for (double p : positive) {
    for (double n : negative) wins += p > n ? 1.0 : (p == n ? 0.5 : 0.0);
  }
  return wins / (static_cast<double>(positive.size()) * static_cast<double>(negative.size()));
}

McNemarResult mcnemar(std::span<const bool> a_correct, std::span<const bool> b_correct) {
  if (a_correct.size() != b_correct.size()) {
    throw Error("McNemar's test needs the same puzzles on both sides, got " +
                std::to_string(a_correct.size()) + " and " + std::to_string(b_correct.size()));
  }
  McNemarResult result;
  for (std::size_t i = 0; i < a_correct.size(); ++i) {
    if (a_correct[i] && !b_correct[i]) ++result.only_a;
    if (!a_correct[i] && b_correct[i]) ++result.only_b;
  }
  const std::int64_t discordant = result.only_a + result.only_b;
  if (discordant == 0) return result;
  // Exact two-sided: twice the smaller tail of Binomial(b + c, 1/2), capped at 1.
  const boost::math::binomial_distribution<double> pairs(static_cast<double>(discordant), 0.5);
  const double smaller = static_cast<double>(std::min(result.only_a, result.only_b));
  result.p_value = std::min(1.0, 2.0 * boost::math::cdf(pairs, smaller));
  return result;
}

double answer_entropy_bits(std::span<const std::uint64_t> answers) {
  if (answers.empty()) return 0.0;
  std::unordered_map<std::uint64_t, std::int64_t> counts;
  for (std::uint64_t answer : answers) ++counts[answer];
  const double total = static_cast<double>(answers.size());
  double bits = 0.0;
  for (const auto& [answer, count] : counts) {
    const double p = static_cast<double>(count) / total;
    bits -= p * std::log2(p);
  }
  return bits == 0.0 ? 0.0 : bits;  // no "-0" for a single answer
}

double percentile(std::vector<double> sample, double q) {
  if (sample.empty()) throw Error("percentile of an empty sample");
  if (!(q >= 0.0 && q <= 100.0)) {
    throw Error("percentile q must lie in [0, 100], got " + std::to_string(q));
  }
  std::sort(sample.begin(), sample.end());
  const double position = q / 100.0 * static_cast<double>(sample.size() - 1);
  const std::size_t below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sample.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return sample[below] + (sample[above] - sample[below]) * fraction;
}

double coverage(std::span<const std::uint64_t> valid_answers, std::int64_t solutions) {
  if (solutions < 0) throw Error("coverage needs a solution count >= 0");
  if (solutions == 0) return 0.0;
  const std::unordered_set<std::uint64_t> distinct(valid_answers.begin(), valid_answers.end());
  return static_cast<double>(distinct.size()) / static_cast<double>(solutions);
}

}  // namespace gram::analysis
