// The CUDA kernels' per-element maths (kernels/kernel_math.h), run on the host against the CPU
// backend: the noise formula bit for bit, RoPE and the streaming softmax through a host mirror
// of the attention kernel's tiling. These run everywhere (label `cpu`); tests/gpu runs the
// kernels themselves.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "kernel_math.h"
#include "util/error.h"

namespace gram {
namespace {

std::vector<float> random_values(std::size_t count, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-scale, scale);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(generator);
  return values;
}

TEST(KernelMath, SiluAndSoftplusFollowTheirFormulas) {
  for (float x : {-30.0f, -3.0f, -0.5f, 0.0f, 0.25f, 4.0f, 19.9f, 20.0f, 20.5f, 80.0f}) {
    EXPECT_FLOAT_EQ(kernels::silu(x), x / (1.0f + std::exp(-x))) << x;
    const float expected = x > 20.0f ? x : std::log1p(std::exp(x));
    EXPECT_FLOAT_EQ(kernels::softplus(x), expected) << x;
  }
  // sigma stays in [sigma_min, sigma_max].
  EXPECT_FLOAT_EQ(kernels::noise_sigma(-100.0f, 0.05f, 1.0f), 0.05f);
  EXPECT_FLOAT_EQ(kernels::noise_sigma(100.0f, 0.05f, 1.0f), 1.0f);
  EXPECT_FLOAT_EQ(kernels::noise_sigma(0.0f, 0.05f, 1.0f), 0.05f + std::log(2.0f));
}

// The noise kernel's body (key, Philox group, element formula) on the host reproduces the CPU
// backend's noise_step exactly, for a row length that is not a multiple of four.
TEST(KernelMath, NoiseStepMatchesCpuBackendBitForBit) {
  const int rows = 3;
  const int positions = 5;
  const int hidden = 7;  // 35 elements per row: the last Philox group is partial
  const std::size_t per_row = static_cast<std::size_t>(positions) * hidden;
  const std::size_t count = rows * per_row;
  const std::vector<float> u = random_values(count, 1);
  const std::vector<float> mu = random_values(count, 2, 0.1f);
  const std::vector<float> sigma_pre = random_values(count, 3, 4.0f);
  const std::vector<backend::NoiseRow> keys = {{4, 0, 2}, {4, 1, 2}, {9, 0, 0}};
  backend::NoiseParams params;
  params.seed = 0x123456789abcdefULL;
  params.transition = 1;
  params.sigma_min = 0.05f;
  params.sigma_max = 1.0f;

  auto cpu = backend::make_cpu_backend(1);
  std::vector<float> expected = u;
  cpu->noise_step(rows, positions, hidden, expected.data(), mu.data(), sigma_pre.data(),
                  keys.data(), params);

  std::vector<float> mirrored = u;
  const auto groups = static_cast<std::uint32_t>((per_row + 3) / 4);
  for (int row = 0; row < rows; ++row) {
    for (std::uint32_t group = 0; group < groups; ++group) {
      const rng::NoiseKey key = kernels::noise_key(params.seed, keys[row].puzzle,
                                                   keys[row].trajectory, keys[row].step,
                                                   params.transition);
      float eps[4];
      rng::normal4(key, group, eps);
      for (int lane = 0; lane < 4; ++lane) {
        const std::size_t element = static_cast<std::size_t>(group) * 4 + lane;
        if (element >= per_row) break;
        const std::size_t index = row * per_row + element;
        mirrored[index] = kernels::noise_element(mirrored[index], mu[index], sigma_pre[index],
                                                 eps[lane], params.sigma_min, params.sigma_max);
      }
    }
  }
  for (std::size_t i = 0; i < count; ++i) ASSERT_EQ(mirrored[i], expected[i]) << "element " << i;
  EXPECT_NE(mirrored, u);
}

// The attention kernel's algorithm on the host: RoPE through rope_channel, keys in tiles of 32,
// the streaming softmax, the output divided by the total at the end.
std::vector<float> tiled_attention(int batch, int seq, int heads, int head_dim,
                                   const std::vector<float>& qkv, const float* cos_table,
                                   const float* sin_table) {
  const int hidden = heads * head_dim;
  const int half = head_dim / 2;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  std::vector<float> out(static_cast<std::size_t>(batch) * seq * hidden);
  auto rotated = [&](const float* x, int position, int c) {
    if (cos_table == nullptr) return x[c];
    return kernels::rope_channel(x, c, half, cos_table + position * half,
                                 sin_table + position * half);
  };
  for (int item = 0; item < batch; ++item) {
    const float* base = qkv.data() + static_cast<std::size_t>(item) * seq * 3 * hidden;
    for (int head = 0; head < heads; ++head) {
      for (int query = 0; query < seq; ++query) {
        const float* q_in = base + static_cast<std::size_t>(query) * 3 * hidden + head * head_dim;
        std::vector<float> accumulator(head_dim, 0.0f);
        kernels::OnlineSoftmax softmax;
        for (int tile = 0; tile < seq; tile += 32) {
          const int keys = std::min(32, seq - tile);
          std::vector<float> scores(keys);
          float tile_maximum = -INFINITY;
          for (int j = 0; j < keys; ++j) {
            const float* k_in =
                base + static_cast<std::size_t>(tile + j) * 3 * hidden + hidden + head * head_dim;
            float dot = 0.0f;
            for (int c = 0; c < head_dim; ++c) {
              dot += rotated(q_in, query, c) * rotated(k_in, tile + j, c);
            }
            scores[j] = dot * scale;
            tile_maximum = std::max(tile_maximum, scores[j]);
          }
          const float rescale = softmax.raise_maximum(tile_maximum);
          for (float& value : accumulator) value *= rescale;
          for (int j = 0; j < keys; ++j) {
            const float weight = softmax.weight(scores[j]);
            softmax.total += weight;
            const float* v =
                base + static_cast<std::size_t>(tile + j) * 3 * hidden + 2 * hidden + head * head_dim;
            for (int c = 0; c < head_dim; ++c) accumulator[c] += weight * v[c];
          }
        }
        float* result = out.data() + (static_cast<std::size_t>(item) * seq + query) * hidden +
                        head * head_dim;
        for (int c = 0; c < head_dim; ++c) result[c] = accumulator[c] / softmax.total;
      }
    }
  }
  return out;
}

TEST(KernelMath, TiledAttentionMatchesCpuBackend) {
  const int batch = 2;
  const int heads = 2;
  const int head_dim = 8;
  for (int seq : {5, 32, 70}) {  // one partial tile, one full tile, three tiles
    for (bool rope : {false, true}) {
      const int half = head_dim / 2;
      std::vector<float> cos_table(static_cast<std::size_t>(seq) * half);
      std::vector<float> sin_table(cos_table.size());
      for (int p = 0; p < seq; ++p) {
        for (int i = 0; i < half; ++i) {
          const double angle = p * std::pow(10000.0, -2.0 * i / head_dim);
          cos_table[p * half + i] = static_cast<float>(std::cos(angle));
          sin_table[p * half + i] = static_cast<float>(std::sin(angle));
        }
      }
      // Large scores (scale 3) so that later tiles raise the maximum and rescaling matters.
      const std::vector<float> qkv =
          random_values(static_cast<std::size_t>(batch) * seq * 3 * heads * head_dim, 11 + seq, 3.0f);
      const float* cos_pointer = rope ? cos_table.data() : nullptr;
      const float* sin_pointer = rope ? sin_table.data() : nullptr;
      auto cpu = backend::make_cpu_backend(1);
      std::vector<float> expected(static_cast<std::size_t>(batch) * seq * heads * head_dim);
      cpu->attention(batch, seq, heads, head_dim, qkv.data(), cos_pointer, sin_pointer,
                     expected.data());
      const std::vector<float> actual =
          tiled_attention(batch, seq, heads, head_dim, qkv, cos_pointer, sin_pointer);
      double worst = 0;
      for (std::size_t i = 0; i < expected.size(); ++i) {
        worst = std::max(worst, std::abs(static_cast<double>(actual[i]) - expected[i]));
      }
      EXPECT_LT(worst, 1e-5) << "seq " << seq << (rope ? " rope" : "");
    }
  }
}

// Asking for the CUDA backend where there is none is one clear error, never a crash: either the
// build has no CUDA backend, or the device query fails (this machine has no GPU).
TEST(CudaFactory, ClearErrorWithoutUsableDevice) {
  try {
    auto backend = backend::make_backend("cuda", 1);
    GTEST_SKIP() << "a CUDA device is present: " << backend->describe();
  } catch (const Error& error) {
    const std::string message = error.what();
    const bool no_build = message.rfind("backend 'cuda': this build has no CUDA backend", 0) == 0;
    const bool no_device = message.rfind("backend cuda: no usable CUDA device (", 0) == 0;
    EXPECT_TRUE(no_build || no_device) << message;
  }
}

TEST(CudaFactory, MathModeParsesAndRejects) {
  EXPECT_EQ(backend::parse_cuda_math("fp32"), backend::CudaMath::kFp32);
  EXPECT_EQ(backend::parse_cuda_math("tf32"), backend::CudaMath::kTf32);
  EXPECT_EQ(backend::parse_cuda_math("bf16"), backend::CudaMath::kBf16);
  EXPECT_EQ(backend::to_string(backend::CudaMath::kBf16), "bf16");
  try {
    backend::parse_cuda_math("fp16");
    FAIL() << "fp16 accepted";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "GRAM_CUDA_MATH 'fp16': unknown (expected fp32, tf32 or bf16)");
  }
}

}  // namespace
}  // namespace gram
