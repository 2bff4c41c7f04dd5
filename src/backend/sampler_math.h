#pragma once
// The samplers' per-position and per-group arithmetic, compiled for the host and the device:
// the CPU backend and the CUDA kernels (kernels/sampler.cu) call these same functions, so both
// backends round every element alike and the host tests check the code the GPU runs.
//
// Injected noise on one position p of a trajectory's (P+L, D) state:
//   x[p, c] += a * eps[p, c],   a = scale (absolute) or scale * rms(x[p, :]) (relative),
//   rms(x[p, :]) = sqrt((x[p,0]^2 + x[p,1]^2 + ... + x[p,D-1]^2) / D)  summed in channel order,
// the RMS taken before any noise is added. One position is one loop over its own D channels,
// so its bits do not depend on the batch, the thread split or the backend's launch shape.
//
// Dropout of element i of a trajectory's buffer: the Philox word w of i (rng/sampler_stream.h)
// drops it when w < drop_below (floor(rate * 2^32)), else scales it by keep_scale
// (float(1 / (1 - rate))), inverted dropout as in training.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "rng/sampler_stream.h"

namespace gram::backend {

// sqrt(mean of squares) of `hidden` values, summed left to right in float.
GRAM_HOST_DEVICE inline float position_rms(const float* x, int hidden) {
  float sum = 0.0f;
  for (int channel = 0; channel < hidden; ++channel) sum += x[channel] * x[channel];
  return sqrtf(sum / static_cast<float>(hidden));
}

// Adds the sampler noise of `site` to one position: `x` holds its `hidden` channels, which are
// elements first .. first + hidden - 1 of the trajectory's row (first = position * hidden).
// A Philox group may straddle two positions; each position draws the groups it touches and
// keeps its own lanes, so every element is written exactly once.
GRAM_HOST_DEVICE inline void inject_noise_position(float* x, std::size_t first, int hidden,
                                                   const rng::NoiseKey& key, std::uint32_t site,
                                                   float scale, bool relative) {
  const float amplitude = relative ? scale * position_rms(x, hidden) : scale;
  const std::size_t end = first + static_cast<std::size_t>(hidden);
  for (std::size_t group = first / 4; group * 4 < end; ++group) {
    float eps[4];
    rng::sampler_normal4(key, site, static_cast<std::uint32_t>(group), eps);
    for (int lane = 0; lane < 4; ++lane) {
      const std::size_t element = group * 4 + static_cast<std::size_t>(lane);
      if (element < first || element >= end) continue;
      x[element - first] = x[element - first] + amplitude * eps[lane];
    }
  }
}

GRAM_HOST_DEVICE inline float dropout_element(float x, std::uint32_t word, std::uint32_t drop_below,
                                              float keep_scale) {
  return word < drop_below ? 0.0f : x * keep_scale;
}

// Applies the dropout mask of `site` to group `group` of one trajectory's buffer `row`
// (`per_row` elements): elements 4 group .. 4 group + 3 that exist.
GRAM_HOST_DEVICE inline void dropout_group(float* row, std::size_t per_row, std::uint32_t group,
                                           const rng::NoiseKey& key, std::uint32_t site,
                                           std::uint32_t drop_below, float keep_scale) {
  const r123::Philox4x32::ctr_type words = rng::sampler_words(key, site, group);
  for (int lane = 0; lane < 4; ++lane) {
    const std::size_t element = static_cast<std::size_t>(group) * 4 + static_cast<std::size_t>(lane);
    if (element >= per_row) break;
    row[element] = dropout_element(row[element], words.v[lane], drop_below, keep_scale);
  }
}

// floor(rate * 2^32) for 0 <= rate < 1, at most 2^32 - 1: P(drop) = drop_below / 2^32.
inline std::uint32_t dropout_threshold(double rate) {
  const double scaled = std::floor(rate * 4294967296.0);
  return scaled >= 4294967295.0 ? 4294967295u : static_cast<std::uint32_t>(scaled);
}

}  // namespace gram::backend
