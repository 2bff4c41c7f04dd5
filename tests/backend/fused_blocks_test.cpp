// The CPU backend's fused blocks (backend/cpu_blocks.cpp) against the same blocks run as their
// separate operations (Backend's defaults: linear, swiglu, linear, add_rmsnorm, and for mlp_t
// the two transposes): bit for bit, on every GEMM kernel the CPU runs, 1 and 2 threads, shapes
// that leave every tail of the kernels' tiles, without and with a sampler's dropout on the
// branch (BlockDropout, numbered as the separate operations' output). The SwiGLU epilogue of
// the fixed-order GEMM and the positions-axis products (sequence_gemm.h) make these equal.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/fixed_order_gemm.h"
#include "backend/sampler_math.h"

namespace gram {
namespace {

using backend::GemmKernel;
using backend::WeightUse;

std::vector<float> random_values(std::size_t count, std::uint32_t seed, float scale) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(count);
  for (float& value : values) value = normal(generator);
  return values;
}

// Row keys of `rows` distinct trajectories, and a 30% dropout mask on them.
struct TestDropout {
  std::vector<backend::NoiseRow> keys;
  backend::BlockDropout block;
};

TestDropout test_dropout(int rows, std::size_t per_row) {
  TestDropout dropout;
  for (int row = 0; row < rows; ++row) {
    const auto index = static_cast<std::uint32_t>(row);
    dropout.keys.push_back({11 + index, index % 3, index / 3});
  }
  dropout.block.row_keys = dropout.keys.data();
  dropout.block.per_row = per_row;
  dropout.block.mask.draw = {1234, 2, 7};
  dropout.block.mask.drop_below = backend::dropout_threshold(0.3);
  dropout.block.mask.keep_scale = static_cast<float>(1.0 / 0.7);
  return dropout;
}

std::vector<GemmKernel> supported_kernels() {
  std::vector<GemmKernel> kernels;
  for (GemmKernel kernel : {GemmKernel::kPortable, GemmKernel::kAvx2, GemmKernel::kAvx512}) {
    if (backend::cpu_supports(kernel)) kernels.push_back(kernel);
  }
  return kernels;
}

int differing_bits(const std::vector<float>& a, const std::vector<float>& b) {
  int differing = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    differing += std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i]);
  }
  return differing;
}

TEST(FusedBlocks, SwiGluBlockEqualsItsOperationsBitForBit) {
  struct Shape {
    int tokens, hidden, ffn;
  };
  const Shape shapes[] = {{1, 16, 24}, {7, 37, 16}, {37, 64, 128}, {148, 64, 128}, {500, 48, 200}};
  for (GemmKernel kernel : supported_kernels()) {
    for (int threads : {1, 2}) {
      auto cpu = backend::make_cpu_backend(threads, kernel);
      for (const Shape& s : shapes) {
        const auto x = random_values(std::size_t(s.tokens) * s.hidden, 1, 1.0f);
        const auto gate_up = random_values(std::size_t(2) * s.ffn * s.hidden, 2, 0.3f);
        const auto down = random_values(std::size_t(s.hidden) * s.ffn, 3, 0.2f);
        const auto fused_up = cpu->prepare_linear(gate_up.data(), 2 * s.ffn, s.hidden,
                                                  WeightUse::kSwiGLUGateUp);
        const auto fused_down =
            cpu->prepare_linear(down.data(), s.hidden, s.ffn, WeightUse::kSwiGLUDown);
        const auto plain_up =
            cpu->prepare_linear(gate_up.data(), 2 * s.ffn, s.hidden, WeightUse::kLinear);
        const auto plain_down = cpu->prepare_linear(down.data(), s.hidden, s.ffn,
                                                    WeightUse::kLinear);
        std::vector<float> wide(std::size_t(s.tokens) * 2 * s.ffn);
        std::vector<float> narrow(std::size_t(s.tokens) * s.ffn);
        std::vector<float> residual(x.size());
        backend::BlockWorkspace workspace{wide.data(), narrow.data(), residual.data(), nullptr};
        // Trajectories of 37 positions where the tokens make whole ones, else one trajectory.
        const int positions = s.tokens % 37 == 0 ? 37 : s.tokens;
        const TestDropout mask =
            test_dropout(s.tokens / positions, std::size_t(positions) * s.hidden);
        const backend::BlockDropout* const dropouts[] = {nullptr, &mask.block};
        for (const backend::BlockDropout* dropout : dropouts) {
          std::vector<float> fused = x, separate = x;
          cpu->swiglu_block(s.tokens, fused.data(), *fused_up, *fused_down, 1e-5f, workspace,
                            dropout);
          cpu->Backend::swiglu_block(s.tokens, separate.data(), *plain_up, *plain_down, 1e-5f,
                                     workspace, dropout);
          EXPECT_EQ(differing_bits(fused, separate), 0)
              << backend::to_string(kernel) << ", " << threads << " threads, " << s.tokens
              << " tokens x " << s.hidden << ", F " << s.ffn
              << (dropout != nullptr ? ", dropout" : "");
        }
      }
    }
  }
}

TEST(FusedBlocks, MlpTBlockEqualsItsOperationsWithTransposesBitForBit) {
  struct Shape {
    int rows, positions, hidden, mixer;
  };
  const Shape shapes[] = {{1, 17, 16, 7},  {3, 37, 64, 64}, {5, 37, 70, 24},
                          {2, 82, 130, 256}, {4, 5, 33, 3}};
  for (GemmKernel kernel : supported_kernels()) {
    for (int threads : {1, 2}) {
      auto cpu = backend::make_cpu_backend(threads, kernel);
      for (const Shape& s : shapes) {
        const std::size_t state = std::size_t(s.positions) * s.hidden;
        const auto x = random_values(std::size_t(s.rows) * state, 4, 1.0f);
        const auto gate_up = random_values(std::size_t(2) * s.mixer * s.positions, 5, 0.3f);
        const auto down = random_values(std::size_t(s.positions) * s.mixer, 6, 0.2f);
        const auto fused_up = cpu->prepare_linear(gate_up.data(), 2 * s.mixer, s.positions,
                                                  WeightUse::kMlpTGateUp);
        const auto fused_down =
            cpu->prepare_linear(down.data(), s.positions, s.mixer, WeightUse::kMlpTDown);
        const auto plain_up =
            cpu->prepare_linear(gate_up.data(), 2 * s.mixer, s.positions, WeightUse::kLinear);
        const auto plain_down =
            cpu->prepare_linear(down.data(), s.positions, s.mixer, WeightUse::kLinear);
        const std::size_t lines = std::size_t(s.rows) * s.hidden;
        std::vector<float> wide(lines * 2 * s.mixer), narrow(lines * s.mixer);
        std::vector<float> residual(x.size()), transposed(x.size());
        backend::BlockWorkspace workspace{wide.data(), narrow.data(), residual.data(),
                                          transposed.data()};
        const TestDropout mask = test_dropout(s.rows, state);
        const backend::BlockDropout* const dropouts[] = {nullptr, &mask.block};
        for (const backend::BlockDropout* dropout : dropouts) {
          std::vector<float> fused = x, separate = x;
          cpu->mlp_t_block(s.rows, s.positions, s.hidden, fused.data(), *fused_up, *fused_down,
                           1e-5f, workspace, dropout);
          cpu->Backend::mlp_t_block(s.rows, s.positions, s.hidden, separate.data(), *plain_up,
                                    *plain_down, 1e-5f, workspace, dropout);
          EXPECT_EQ(differing_bits(fused, separate), 0)
              << backend::to_string(kernel) << ", " << threads << " threads, " << s.rows
              << " rows x " << s.positions << " x " << s.hidden << ", Ft " << s.mixer
              << (dropout != nullptr ? ", dropout" : "");
        }
      }
    }
  }
}

// SiLU's clamp and sign cases in the fused epilogue, against the separate pass: inputs far
// past both ends of the exp clamp, zeros of both signs, tiny and huge values.
TEST(FusedBlocks, SwiGluEpilogueMatchesTheSeparatePassAtTheEdges) {
  const float edges[] = {0.0f,   -0.0f,  1e-30f, -1e-30f, 87.5f,  -87.5f, 88.5f,
                         -88.5f, 100.0f, -100.0f, 1e30f, -1e30f, 3.0f,   -3.0f};
  const int hidden = 1;
  const int ffn = 16;
  std::vector<float> x;
  for (float edge : edges) x.push_back(edge);
  const int tokens = static_cast<int>(x.size());
  // gate column j = x * (j + 1) / 4, up column j = 1: the gate takes each edge scaled.
  std::vector<float> gate_up(std::size_t(2) * ffn * hidden);
  for (int j = 0; j < ffn; ++j) {
    gate_up[j] = (j + 1) / 4.0f;
    gate_up[ffn + j] = 1.0f;
  }
  for (GemmKernel kernel : supported_kernels()) {
    auto cpu = backend::make_cpu_backend(1, kernel);
    const auto plain =
        cpu->prepare_linear(gate_up.data(), 2 * ffn, hidden, WeightUse::kLinear);
    std::vector<float> wide(std::size_t(tokens) * 2 * ffn), expected(std::size_t(tokens) * ffn);
    cpu->linear(tokens, x.data(), hidden, *plain, nullptr, wide.data());
    cpu->swiglu(tokens, ffn, wide.data(), expected.data());
    // The epilogue alone, through the GEMM entry point a block calls.
    const backend::PackedWeight packed(gate_up.data(), 2 * ffn, hidden,
                                       backend::PackedWeight::Layout::kSwiGLU);
    std::vector<float> got(expected.size());
    backend::fixed_order_gemm_rows(kernel, tokens, x.data(), hidden, packed, nullptr, got.data(),
                                   ffn);
    EXPECT_EQ(differing_bits(got, expected), 0) << backend::to_string(kernel);
  }
}

}  // namespace
}  // namespace gram
