// The samplers' Philox stream (rng/sampler_stream.h) and per-element maths
// (backend/sampler_math.h): the documented counter layout, its separation from GRAM's noise,
// the draw-point numbering, the dropout threshold, and the two samplers on the CPU backend.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "backend/backend.h"
#include "backend/sampler_math.h"
#include "rng/philox_noise.h"
#include "rng/sampler_stream.h"

namespace gram {
namespace {

rng::NoiseKey test_key() {
  rng::NoiseKey key;
  key.seed = 0x0123456789ABCDEFull;  // both key words non-zero
  key.puzzle = 11;
  key.trajectory = 5;
  key.step = 2;
  key.transition = 1;
  return key;
}

// The words of one documented counter, computed by tools/gram_reference/philox.py (numpy
// Philox4x32-10): counter {(7 << 20) | 3, (2 << 8) | 1, 5, 11}, key {0x89ABCDEF, 0x01234567}.
TEST(SamplerStream, CounterLayoutMatchesTheReference) {
  const auto words = rng::sampler_words(test_key(), 7, 3);
  EXPECT_EQ(words.v[0], 0xe29a6ed5u);
  EXPECT_EQ(words.v[1], 0x242d380cu);
  EXPECT_EQ(words.v[2], 0x89e7ad14u);
  EXPECT_EQ(words.v[3], 0x50b8ec82u);
  float normals[4];
  rng::sampler_normal4(test_key(), 7, 3, normals);
  // Box-Muller of (r0, r1) and (r2, r3); the reference called glibc's sincosf and logf.
  EXPECT_EQ(std::bit_cast<std::uint32_t>(normals[0]), 3215409426u);  // -1.3066733
  EXPECT_EQ(std::bit_cast<std::uint32_t>(normals[1]), 1069424255u);  //  1.4853057
  EXPECT_EQ(std::bit_cast<std::uint32_t>(normals[2]), 3199942765u);  // -0.3657259
  EXPECT_EQ(std::bit_cast<std::uint32_t>(normals[3]), 3216818447u);  // -1.4746417
}

// GRAM's noise is site 0 of the same layout: its eps never moves, and every sampler site is a
// different counter from every GRAM counter of a row the samplers accept.
TEST(SamplerStream, GramNoiseIsSiteZeroAndNoSamplerSiteReachesIt) {
  for (std::uint32_t group : {0u, 1u, 12345u, (1u << 20) - 1}) {
    float gram[4], site_zero[4];
    rng::normal4(test_key(), group, gram);
    rng::sampler_normal4(test_key(), 0, group, site_zero);
    for (int lane = 0; lane < 4; ++lane) {
      EXPECT_EQ(std::bit_cast<std::uint32_t>(gram[lane]), std::bit_cast<std::uint32_t>(site_zero[lane]));
    }
  }
  // The first counter word: GRAM's is element / 4 < 2^20 on rows of at most 2^22 elements;
  // a sampler's is (site << 20) | group with site >= 1.
  EXPECT_EQ(rng::kSamplerMaxRowElements, std::size_t{1} << 22);
  EXPECT_LT((rng::kSamplerMaxRowElements - 1) / 4, std::size_t{1} << rng::kSamplerGroupBits);
  EXPECT_GE(rng::sampler_site(0, 0, 1) << rng::kSamplerGroupBits, 1u << 20);
  float gram[4], sampler[4];
  rng::normal4(test_key(), 3, gram);
  rng::sampler_normal4(test_key(), 1, 3, sampler);
  EXPECT_NE(std::bit_cast<std::uint32_t>(gram[0]), std::bit_cast<std::uint32_t>(sampler[0]));
}

TEST(SamplerStream, DrawPointsAreDistinctAndStartAtOne) {
  for (int layers : {1, 2, 4}) {
    for (int l_cycles : {1, 3, 6}) {
      std::set<std::uint32_t> seen;
      for (int application = 0; application <= l_cycles; ++application) {
        for (int slot = 0; slot < 1 + 2 * layers; ++slot) {
          const std::uint32_t site = rng::sampler_site(application, slot, layers);
          EXPECT_GE(site, 1u);
          EXPECT_TRUE(seen.insert(site).second) << application << " " << slot;
        }
      }
      // Consecutive: the last draw point is the count of them.
      EXPECT_EQ(*seen.rbegin(), seen.size());
    }
  }
  // The documented numbering: L update 0's noise is 1, its layer 0 mixer dropout 2, FFN 3.
  EXPECT_EQ(rng::sampler_site(0, 0, 2), 1u);
  EXPECT_EQ(rng::sampler_site(0, 1, 2), 2u);
  EXPECT_EQ(rng::sampler_site(0, 2, 2), 3u);
  EXPECT_EQ(rng::sampler_site(1, 0, 2), 6u);
}

TEST(SamplerStream, DropoutThresholdIsTheRateOfTheWordRange) {
  EXPECT_EQ(backend::dropout_threshold(0.0), 0u);
  EXPECT_EQ(backend::dropout_threshold(0.5), 1u << 31);
  EXPECT_EQ(backend::dropout_threshold(0.25), 1u << 30);
  EXPECT_EQ(backend::dropout_threshold(1.0 - 1e-12), 4294967295u);
  EXPECT_EQ(backend::dropout_element(2.0f, 5, 5, 4.0f), 8.0f);  // word == threshold keeps
  EXPECT_EQ(backend::dropout_element(2.0f, 4, 5, 4.0f), 0.0f);
}

// Over 40,000 elements the dropped share is the rate (within 5 standard errors) and the kept
// ones are scaled by 1 / (1 - rate); a zero rate is the identity, bit for bit.
TEST(SamplerStream, DropoutDropsTheRateAndScalesTheRest) {
  auto cpu = backend::make_cpu_backend(2);
  const int rows = 4;
  const std::size_t per_row = 10003;
  std::vector<backend::NoiseRow> keys = {{0, 0, 0}, {0, 1, 0}, {1, 0, 0}, {0, 0, 1}};
  for (const double rate : {0.0, 0.1, 0.5}) {
    std::vector<float> x(rows * per_row);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.001f * static_cast<float>(i % 977) - 0.3f;
    const std::vector<float> before = x;
    backend::DropoutMask mask;
    mask.draw = {9, 0, 3};
    mask.drop_below = backend::dropout_threshold(rate);
    mask.keep_scale = static_cast<float>(1.0 / (1.0 - rate));
    cpu->dropout(rows, per_row, x.data(), keys.data(), mask);
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i] == 0.0f && before[i] != 0.0f) {
        ++dropped;
      } else {
        ASSERT_EQ(std::bit_cast<std::uint32_t>(x[i]),
                  std::bit_cast<std::uint32_t>(before[i] * mask.keep_scale));
      }
    }
    const double n = static_cast<double>(x.size());
    EXPECT_NEAR(dropped / n, rate, 5 * std::sqrt(rate * (1 - rate) / n) + 1e-12) << rate;
  }
}

// Absolute noise has unit variance times the scale; relative noise scales with each position's
// RMS; both are keyed by the row, so two rows with different keys differ.
TEST(SamplerStream, InjectedNoiseScalesAbsoluteAndRelative) {
  auto cpu = backend::make_cpu_backend(1);
  const int positions = 50, hidden = 64;
  const std::size_t per_row = positions * hidden;
  std::vector<backend::NoiseRow> keys = {{3, 0, 0}, {3, 1, 0}};
  for (const bool relative : {false, true}) {
    std::vector<float> x(2 * per_row);
    // Position p has RMS (p + 1) / 10: the relative amplitude follows it.
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::size_t position = (i % per_row) / hidden;
      x[i] = ((i % 2) ? 1.0f : -1.0f) * static_cast<float>(position + 1) / 10.0f;
    }
    const std::vector<float> before = x;
    backend::InjectedNoise noise;
    noise.draw = {5, 2, 1};
    noise.scale = 0.5f;
    noise.relative = relative;
    cpu->inject_noise(2, positions, hidden, x.data(), keys.data(), noise);
    double sum_squares = 0.0;
    std::size_t differ = 0;
    for (std::size_t i = 0; i < per_row; ++i) {
      const std::size_t position = i / hidden;
      const double amplitude = relative ? 0.5 * (position + 1) / 10.0 : 0.5;
      const double eps = (x[i] - before[i]) / amplitude;
      sum_squares += eps * eps;
      differ += x[i] - before[i] != x[per_row + i] - before[per_row + i];
    }
    EXPECT_NEAR(sum_squares / per_row, 1.0, 0.1) << relative;
    EXPECT_GT(differ, per_row * 9 / 10);
  }
}

// The relative mode's RMS: a position's own channels, summed in channel order.
TEST(SamplerStream, PositionRmsSumsInChannelOrder) {
  const float values[5] = {1.0f, 2.0f, 2.0f, 0.0f, 4.0f};
  EXPECT_FLOAT_EQ(backend::position_rms(values, 5), std::sqrt(25.0f / 5.0f));
  float sum = 0.0f;
  const float mixed[3] = {1e8f, 1.0f, -1e8f};
  for (float v : mixed) sum += v * v;
  EXPECT_EQ(backend::position_rms(mixed, 3), std::sqrt(sum / 3.0f));
}

}  // namespace
}  // namespace gram
