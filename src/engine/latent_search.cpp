#include "engine/latent_search.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <Random123/philox.h>

#include "util/error.h"

namespace gram::engine {

std::vector<double> search_weights(std::span<const float> values, double temperature) {
  GRAM_ASSERT(!values.empty(), "search weights need at least one value");
  GRAM_ASSERT(temperature > 0.0, "search temperature must be positive");
  const float largest = *std::max_element(values.begin(), values.end());
  std::vector<double> weights(values.size());
  double total = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    // exp(0 / inf) = 1 exactly, so an infinite temperature gives uniform weights bit for bit.
    weights[i] = std::exp((static_cast<double>(values[i]) - largest) / temperature);
    total += weights[i];
  }
  for (double& weight : weights) weight /= total;
  return weights;
}

double effective_sample_size(std::span<const double> weights) {
  double sum = 0.0;
  double squares = 0.0;
  for (double weight : weights) {
    sum += weight;
    squares += weight * weight;
  }
  return squares > 0.0 ? sum * sum / squares : 0.0;
}

double resampling_uniform(std::uint64_t seed, std::uint32_t puzzle, std::uint32_t step) {
  r123::Philox4x32 generator;
  r123::Philox4x32::key_type key = {
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  r123::Philox4x32::ctr_type counter = {{step, puzzle, 0u, 0xFFFFFFFFu}};
  const std::uint32_t bits = generator(counter, key).v[0];
  return static_cast<double>(bits) / 4294967296.0;  // 2^32: [0, 1)
}

std::vector<int> systematic_resample(std::span<const double> weights, double uniform) {
  GRAM_ASSERT(!weights.empty(), "resampling needs at least one particle");
  GRAM_ASSERT(uniform >= 0.0 && uniform < 1.0, "systematic resampling takes a uniform in [0, 1)");
  const int n = static_cast<int>(weights.size());
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  GRAM_ASSERT(total > 0.0, "resampling weights sum to zero");
  std::vector<int> counts(n, 0);
  double cumulative = 0.0;
  int particle = 0;
  for (int k = 0; k < n; ++k) {
    const double pointer = (uniform + k) / n * total;
    // Rounding can leave the last pointer past the last cumulative sum: it belongs to the last
    // particle with weight (never to one of weight zero).
    while (particle < n && cumulative + weights[particle] <= pointer) {
      cumulative += weights[particle];
      ++particle;
    }
    if (particle == n) {
      particle = n - 1;
      while (weights[particle] <= 0.0) --particle;
    }
    counts[particle] += 1;
  }
  return counts;
}

std::vector<int> top_rows(std::span<const float> values, int keep) {
  GRAM_ASSERT(keep >= 1 && keep <= static_cast<int>(values.size()), "top_rows keeps 1..rows");
  std::vector<int> rows(values.size());
  std::iota(rows.begin(), rows.end(), 0);
  std::stable_sort(rows.begin(), rows.end(),
                   [&](int a, int b) { return values[a] > values[b]; });
  rows.resize(keep);
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::vector<int> place_children(std::span<const int> counts) {
  const int n = static_cast<int>(counts.size());
  GRAM_ASSERT(std::accumulate(counts.begin(), counts.end(), 0) == n,
              "children per row must sum to the row count");
  std::vector<int> ancestors(n, -1);
  std::vector<int> extra;  // one entry per child beyond a row's first, in row order
  for (int row = 0; row < n; ++row) {
    GRAM_ASSERT(counts[row] >= 0, "a row cannot have negative children");
    if (counts[row] >= 1) ancestors[row] = row;
    for (int child = 1; child < counts[row]; ++child) extra.push_back(row);
  }
  std::size_t next = 0;
  for (int row = 0; row < n; ++row) {
    if (ancestors[row] < 0) ancestors[row] = extra[next++];
  }
  return ancestors;
}

int count_copies(std::span<const int> ancestors) {
  int copies = 0;
  for (std::size_t row = 0; row < ancestors.size(); ++row) {
    copies += ancestors[row] != static_cast<int>(row) ? 1 : 0;
  }
  return copies;
}

}  // namespace gram::engine
