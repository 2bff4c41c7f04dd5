#include "analysis/inference.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "util/error.h"

namespace gram::analysis {

double PairedCounts::difference() const {
  const std::int64_t n = total();
  return n == 0 ? 0.0 : static_cast<double>(only_a - only_b) / static_cast<double>(n);
}

Interval paired_difference_interval(const PairedCounts& counts, double confidence) {
  if (counts.both < 0 || counts.only_a < 0 || counts.only_b < 0 || counts.neither < 0) {
    throw Error("paired difference interval: negative counts");
  }
  const std::int64_t n = counts.total();
  if (n == 0) return {-1.0, 1.0};
  const double a = static_cast<double>(counts.both), b = static_cast<double>(counts.only_a);
  const double c = static_cast<double>(counts.only_b), d = static_cast<double>(counts.neither);
  const double p1 = (a + b) / static_cast<double>(n);  // accuracy of A
  const double p2 = (a + c) / static_cast<double>(n);  // accuracy of B
  const Interval w1 = wilson_interval(counts.both + counts.only_a, n, confidence);
  const Interval w2 = wilson_interval(counts.both + counts.only_b, n, confidence);
  // phi, the correlation of the paired outcomes, with Newcombe's continuity correction (a
  // positive ad - bc is lowered by n/2, not below 0): without it, no discordant pair would give
  // phi = 1 and an interval of width 0. 0 when a margin is empty (one side constant).
  const double margins = (a + b) * (c + d) * (a + c) * (b + d);
  double association = a * d - b * c;
  if (association > 0.0) association = std::max(0.0, association - static_cast<double>(n) / 2.0);
  const double phi = margins > 0.0 ? association / std::sqrt(margins) : 0.0;
  const double delta = p1 - p2;
  const double lower = std::sqrt(std::max(0.0, (p1 - w1.low) * (p1 - w1.low) -
                                                   2.0 * phi * (p1 - w1.low) * (w2.high - p2) +
                                                   (w2.high - p2) * (w2.high - p2)));
  const double upper = std::sqrt(std::max(0.0, (w1.high - p1) * (w1.high - p1) -
                                                   2.0 * phi * (w1.high - p1) * (p2 - w2.low) +
                                                   (p2 - w2.low) * (p2 - w2.low)));
  return {std::max(-1.0, delta - lower), std::min(1.0, delta + upper)};
}

std::vector<double> holm_adjust(std::span<const double> p_values) {
  const std::size_t m = p_values.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Ascending p; ties keep the input order, so the result does not depend on the sort.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return p_values[x] < p_values[y]; });
  std::vector<double> adjusted(m);
  double running = 0.0;
  for (std::size_t rank = 0; rank < m; ++rank) {
    const double p = p_values[order[rank]];
    if (!(p >= 0.0 && p <= 1.0)) throw Error("Holm adjustment: p-value outside [0, 1]");
    running = std::max(running, std::min(1.0, static_cast<double>(m - rank) * p));
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

Interval mean_interval(std::span<const double> values, double low_bound, double high_bound,
                       double confidence) {
  if (values.empty()) throw Error("mean interval: no values");
  const double n = static_cast<double>(values.size());
  if (values.size() == 1) return {low_bound, high_bound};
  double mean = 0.0;
  for (double value : values) mean += value;
  mean /= n;
  double squares = 0.0;
  for (double value : values) squares += (value - mean) * (value - mean);
  const double standard_error = std::sqrt(squares / (n - 1.0) / n);
  const boost::math::students_t t(n - 1.0);
  const double half = boost::math::quantile(t, 0.5 + confidence / 2.0) * standard_error;
  return {std::max(low_bound, mean - half), std::min(high_bound, mean + half)};
}

Interval wilson_interval_real(double rate, double trials, double confidence) {
  if (!(trials > 0.0)) return {0.0, 1.0};
  const boost::math::normal standard_normal;
  const double z = boost::math::quantile(standard_normal, 0.5 + confidence / 2.0);
  const double z2 = z * z;
  const double centre = (rate + z2 / (2.0 * trials)) / (1.0 + z2 / trials);
  const double half =
      z / (1.0 + z2 / trials) * std::sqrt(rate * (1.0 - rate) / trials + z2 / (4.0 * trials * trials));
  return {rate <= 0.0 ? 0.0 : std::max(0.0, centre - half),
          rate >= 1.0 ? 1.0 : std::min(1.0, centre + half)};
}

ClusteredRate clustered_rate(std::span<const std::int64_t> correct,
                             std::span<const std::int64_t> trials, double confidence) {
  if (correct.size() != trials.size()) {
    throw Error("clustered rate: " + std::to_string(correct.size()) + " success counts for " +
                std::to_string(trials.size()) + " puzzles");
  }
  ClusteredRate result;
  const double puzzles = static_cast<double>(correct.size());
  double successes = 0.0, total = 0.0;
  for (std::size_t i = 0; i < correct.size(); ++i) {
    if (trials[i] < 1 || correct[i] < 0 || correct[i] > trials[i]) {
      throw Error("clustered rate: puzzle " + std::to_string(i) + " has " +
                  std::to_string(correct[i]) + " of " + std::to_string(trials[i]) + " right");
    }
    successes += static_cast<double>(correct[i]);
    total += static_cast<double>(trials[i]);
  }
  if (correct.empty()) return result;
  result.rate = successes / total;
  // Linearised variance of the ratio estimator, from the puzzles' residuals c_i - rate n_i.
  double residuals = 0.0;
  for (std::size_t i = 0; i < correct.size(); ++i) {
    const double residual = static_cast<double>(correct[i]) - result.rate * static_cast<double>(trials[i]);
    residuals += residual * residual;
  }
  const double variance =
      puzzles > 1.0 ? puzzles / (puzzles - 1.0) * residuals / (total * total) : 0.0;
  const double binomial = result.rate * (1.0 - result.rate);
  // Effective trials: those that give `variance` for independent outcomes. A rate of 0 or 1,
  // or no spread between puzzles, leaves nothing to estimate: then the count of puzzles, the
  // conservative end, unless every puzzle agrees exactly (no between-puzzle variance).
  double effective = total;
  if (binomial > 0.0 && variance > 0.0) effective = binomial / variance;
  if (binomial == 0.0) effective = puzzles;
  result.effective_trials = std::clamp(effective, puzzles, total);
  result.interval = wilson_interval_real(result.rate, result.effective_trials, confidence);
  return result;
}

}  // namespace gram::analysis
