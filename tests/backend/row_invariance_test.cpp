// Every CPU backend operation on the row path computes a row's result from that row alone, in
// one fixed order: the same bits whatever the batch size, the row's place in it and the thread
// count (besides the GEMM, tested in fixed_order_gemm_test.cpp). Elementwise passes are split
// over threads and vector lanes at places that move with the batch, so this also checks that a
// vectorised element and a scalar remainder element round alike.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace gram {
namespace {

std::vector<float> random_values(std::size_t count, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(count);
  for (float& value : values) value = normal(generator);
  return values;
}

// run(backend, rows, input (rows * in_per_row), output (rows * out_per_row)) for one operation.
using RowOperation =
    std::function<void(backend::Backend&, int, std::vector<float>&, std::vector<float>&)>;

// Runs `operation` on batches of several sizes with a probe row at several places, on 1 and 2
// threads, and checks the probe's output against a batch of the probe alone.
void expect_row_invariant(const std::string& name, int in_per_row, int out_per_row,
                          const RowOperation& operation) {
  const auto probe = random_values(in_per_row, 1, 2.0f);
  std::vector<float> alone_in = probe;
  std::vector<float> alone_out(out_per_row);
  auto single = backend::make_cpu_backend(1);
  operation(*single, 1, alone_in, alone_out);
  for (int threads : {1, 2}) {
    auto cpu = backend::make_cpu_backend(threads);
    for (int rows : {2, 3, 17, 64}) {
      for (int place : {0, 1, rows / 2, rows - 1}) {
        auto input = random_values(static_cast<std::size_t>(rows) * in_per_row, 7 + rows, 2.0f);
        std::copy(probe.begin(), probe.end(),
                  input.begin() + static_cast<std::ptrdiff_t>(place) * in_per_row);
        std::vector<float> output(static_cast<std::size_t>(rows) * out_per_row);
        operation(*cpu, rows, input, output);
        int differing = 0;
        for (int i = 0; i < out_per_row; ++i) {
          differing += std::bit_cast<std::uint32_t>(output[std::size_t(place) * out_per_row + i]) !=
                       std::bit_cast<std::uint32_t>(alone_out[i]);
        }
        EXPECT_EQ(differing, 0) << name << ": row " << place << " of " << rows << ", " << threads
                                << " threads";
      }
    }
  }
}

TEST(RowInvariance, AddRmsNorm) {
  const int width = 53;
  expect_row_invariant("add_rmsnorm", 2 * width, width, [&](auto& b, int rows, auto& in, auto& out) {
    // Each row's input is (x, residual); x is normalised in place.
    std::vector<float> x(std::size_t(rows) * width), residual(x.size());
    for (int r = 0; r < rows; ++r) {
      std::copy_n(in.begin() + std::ptrdiff_t(r) * 2 * width, width, x.begin() + std::ptrdiff_t(r) * width);
      std::copy_n(in.begin() + std::ptrdiff_t(r) * 2 * width + width, width,
                  residual.begin() + std::ptrdiff_t(r) * width);
    }
    b.add_rmsnorm(rows, width, x.data(), residual.data(), 1e-5f);
    out = x;
  });
}

TEST(RowInvariance, SwiGluAndSilu) {
  const int hidden = 37;
  expect_row_invariant("swiglu", 2 * hidden, hidden, [&](auto& b, int rows, auto& in, auto& out) {
    b.swiglu(rows, hidden, in.data(), out.data());
  });
  expect_row_invariant("silu", 29, 29, [&](auto& b, int rows, auto& in, auto& out) {
    out = in;
    b.silu(out.size(), out.data());
  });
  expect_row_invariant("add", 2 * 31, 31, [&](auto& b, int rows, auto& in, auto& out) {
    std::vector<float> a(std::size_t(rows) * 31), c(a.size());
    for (int r = 0; r < rows; ++r) {
      std::copy_n(in.begin() + std::ptrdiff_t(r) * 62, 31, a.begin() + std::ptrdiff_t(r) * 31);
      std::copy_n(in.begin() + std::ptrdiff_t(r) * 62 + 31, 31, c.begin() + std::ptrdiff_t(r) * 31);
    }
    b.add(a.size(), a.data(), c.data(), c.data(), out.data());
  });
}

TEST(RowInvariance, AttentionWithRope) {
  const int seq = 11, heads = 2, head_dim = 8, hidden = heads * head_dim;
  std::vector<float> cos_table(seq * head_dim / 2), sin_table(cos_table.size());
  for (std::size_t i = 0; i < cos_table.size(); ++i) {
    cos_table[i] = std::cos(0.3f * float(i));
    sin_table[i] = std::sin(0.3f * float(i));
  }
  expect_row_invariant("attention", seq * 3 * hidden, seq * hidden,
                       [&](auto& b, int rows, auto& in, auto& out) {
                         b.attention(rows, seq, heads, head_dim, in.data(), cos_table.data(),
                                     sin_table.data(), out.data());
                       });
}

TEST(RowInvariance, TransposeArgmaxAndNoise) {
  const int positions = 5, hidden = 9;
  expect_row_invariant("transpose", positions * hidden, positions * hidden,
                       [&](auto& b, int rows, auto& in, auto& out) {
                         b.transpose(rows, positions, hidden, in.data(), out.data());
                       });
  const int vocab = 7;
  expect_row_invariant("argmax", vocab, 1, [&](auto& b, int rows, auto& in, auto& out) {
    std::vector<std::int32_t> tokens(rows);
    b.argmax(rows, vocab, in.data(), tokens.data());
    for (int r = 0; r < rows; ++r) out[r] = float(tokens[r]);
  });
  // The noise of a row comes from its key, not its slot: the probe row keeps key (3, 1, 2).
  expect_row_invariant("noise_step", 3 * positions * hidden, positions * hidden,
                       [&](auto& b, int rows, auto& in, auto& out) {
    const int per_row = positions * hidden;
    std::vector<float> u(std::size_t(rows) * per_row), mu(u.size()), sigma(u.size());
    std::vector<backend::NoiseRow> keys(rows);
    for (int r = 0; r < rows; ++r) {
      const auto row = in.begin() + std::ptrdiff_t(r) * 3 * per_row;
      std::copy_n(row, per_row, u.begin() + std::ptrdiff_t(r) * per_row);
      std::copy_n(row + per_row, per_row, mu.begin() + std::ptrdiff_t(r) * per_row);
      std::copy_n(row + 2 * per_row, per_row, sigma.begin() + std::ptrdiff_t(r) * per_row);
      // Keys follow the row's content (its first value), so the probe keeps its key anywhere.
      keys[r] = {static_cast<std::uint32_t>(std::abs(row[0]) * 1000), 1, 2};
    }
    backend::NoiseParams params;
    params.seed = 42;
    params.transition = 1;
    params.sigma_min = 0.01f;
    params.sigma_max = 1.0f;
    b.noise_step(rows, positions, hidden, u.data(), mu.data(), sigma.data(), keys.data(), params);
    out = u;
  });
}

// The samplers' noise (both modes; the relative one sums a position's squares) and dropout
// masks: each row from its key and its own values alone. hidden = 9 makes Philox groups
// straddle positions.
TEST(RowInvariance, SamplerNoiseAndDropout) {
  const int positions = 5, hidden = 9, per_row = positions * hidden;
  auto keys_of = [&](const std::vector<float>& in, int rows) {
    std::vector<backend::NoiseRow> keys(rows);
    for (int r = 0; r < rows; ++r) {
      keys[r] = {static_cast<std::uint32_t>(std::abs(in[std::size_t(r) * per_row]) * 1000), 3, 5};
    }
    return keys;
  };
  for (const bool relative : {false, true}) {
    expect_row_invariant(relative ? "inject_noise relative" : "inject_noise absolute", per_row,
                         per_row, [&](auto& b, int rows, auto& in, auto& out) {
      const std::vector<backend::NoiseRow> keys = keys_of(in, rows);
      backend::InjectedNoise noise;
      noise.draw = {42, 1, 7};
      noise.scale = 0.3f;
      noise.relative = relative;
      out = in;
      b.inject_noise(rows, positions, hidden, out.data(), keys.data(), noise);
    });
  }
  expect_row_invariant("dropout", per_row, per_row, [&](auto& b, int rows, auto& in, auto& out) {
    const std::vector<backend::NoiseRow> keys = keys_of(in, rows);
    backend::DropoutMask mask;
    mask.draw = {42, 1, 9};
    mask.drop_below = 1u << 30;  // rate 0.25
    mask.keep_scale = 1.0f / 0.75f;
    out = in;
    b.dropout(rows, per_row, out.data(), keys.data(), mask);
  });
}

}  // namespace
}  // namespace gram
