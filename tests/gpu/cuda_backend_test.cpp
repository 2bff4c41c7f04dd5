// What the CUDA backend says about itself and the checks that first contact with a GPU needs:
// the device it opened (and why), its free memory as the memory plan's capacity, the attention
// limits checked at model load, the GEMM peak per math mode timed with events, products past
// 2^31 elements split over cuBLAS calls, bf16 weights converted once, argmax with NaN as on
// the CPU, and a verifier's confidence statistics. Without a device each test is SKIPPED with
// the reason.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/gemm_peak.h"
#include "common/error_message.h"
#include "common/tiny_model_config.h"
#include "engine/memory_plan.h"
#include "engine/recursive_model.h"
#include "gpu/require_cuda.h"
#include "model/weights.h"

namespace gram {
namespace {

std::vector<float> random_values(std::size_t count, std::uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(generator);
  return values;
}

// What the bf16 products read: the float, rounded to nearest even at 8 mantissa bits.
float bf16_round(float x) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  bits &= 0xffff0000u;
  float rounded = 0.0f;
  std::memcpy(&rounded, &bits, sizeof rounded);
  return rounded;
}

TEST(CudaBackend, DescribesTheDeviceItChoseAndItsFreeMemory) {
  REQUIRE_CUDA(gpu, backend::CudaMath::kFp32);
  const std::string description = gpu->describe();
  std::printf("device: %s\n", description.c_str());
  EXPECT_NE(description.find("(device 0 of "), std::string::npos) << description;
  EXPECT_NE(description.find(", local rank 0 from "), std::string::npos) << description;
  const backend::MemoryCapacity capacity = gpu->memory_capacity();
  std::printf("free for rows and weights: %s in %s\n",
              engine::format_bytes(capacity.available_bytes).c_str(), capacity.where.c_str());
  EXPECT_GT(capacity.available_bytes, 0u);
  EXPECT_FALSE(capacity.holds_host_results);
  EXPECT_EQ(capacity.where.rfind("device memory of ", 0), 0u) << capacity.where;
  // The run's default limit is the device's, not the host's.
  const engine::RowPlan plan = engine::plan_rows({1 << 20, 1 << 20, 1ull << 40}, 64, 0, capacity);
  EXPECT_EQ(plan.row_cap, 64);
  EXPECT_EQ(plan.limit_source, capacity.where);
}

TEST(CudaBackend, AttentionLimitsAreCheckedAtModelLoad) {
  REQUIRE_CUDA(gpu, backend::CudaMath::kFp32);
  model::ModelConfig config = testing::tiny_config(model::Mixer::kAttention, true, false,
                                                   model::PositionEncoding::kRope, 160, 8);
  config.num_heads = 1;
  const model::Model model = model::random_model(config, 1);
  EXPECT_EQ(testing_support::error_message([&] { engine::RecursiveModel(model, *gpu, 2); }),
            "random model: head_dim 160 (hidden_size 160 / 1 heads) exceeds the cuda backend's "
            "attention limit of 128; use more heads or backend=cpu");
}

// Every math mode's peak: timed with events over back-to-back products, labelled with its mode.
TEST(CudaBackend, GemmPeakPerMathModeIsLabelledWithItsMode) {
  for (auto math : {backend::CudaMath::kFp32, backend::CudaMath::kTf32, backend::CudaMath::kBf16}) {
    REQUIRE_CUDA(gpu, math);
    const backend::GemmPeak peak = backend::measure_gemm_peak(*gpu, 0, 1024, 3);
    std::printf("peak %s: %.1f TFLOP/s (%s)\n", backend::to_string(math).c_str(),
                peak.flops_per_s / 1e12, peak.source.c_str());
    EXPECT_GT(peak.flops_per_s, 1e12);
    EXPECT_EQ(peak.source.find("measured: cuBLAS " + backend::to_string(math) + " ("), 0u)
        << peak.source;
  }
}

// y (rows, 64) holds more than 2^31 elements: linear() splits the rows over cuBLAS calls. Rows
// at both ends and across the chunk boundary are checked against the host.
TEST(CudaBackend, ProductsPastTwoToTheThirtyOneElementsAreSplit) {
  REQUIRE_CUDA(gpu, backend::CudaMath::kFp32);
  const int in = 8, out = 64;
  const std::int64_t rows = (std::int64_t{1} << 31) / out + 3;
  const std::size_t need = static_cast<std::size_t>(rows) * (in + out) * sizeof(float);
  if (gpu->memory_capacity().available_bytes < need + (1ull << 30)) {
    GTEST_SKIP() << "needs " << engine::format_bytes(need) << " of device memory";
  }
  const std::vector<float> w = random_values(static_cast<std::size_t>(out) * in, 1);
  std::vector<float> x(static_cast<std::size_t>(rows) * in);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 13) * 0.25f - 1.5f;
  backend::DeviceArray<float> device_x(*gpu, x.size());
  backend::DeviceArray<float> device_w(*gpu, w.size());
  backend::DeviceArray<float> device_y(*gpu, static_cast<std::size_t>(rows) * out);
  gpu->copy_to_device(device_x.data(), x.data(), x.size() * sizeof(float));
  gpu->copy_to_device(device_w.data(), w.data(), w.size() * sizeof(float));
  const auto weight = gpu->prepare_linear(device_w.data(), out, in, backend::WeightUse::kLinear);
  gpu->linear(static_cast<int>(rows), device_x.data(), in, *weight, nullptr, device_y.data());
  const std::int64_t per_call = (std::int64_t{1} << 31) / out;  // 2^31 - 1 elements / 64
  for (std::int64_t row : {std::int64_t{0}, per_call - 2, per_call - 1, per_call, rows - 1}) {
    std::vector<float> got(out);
    gpu->copy_to_host(got.data(), device_y.data() + row * out, out * sizeof(float));
    for (int o = 0; o < out; ++o) {
      double expected = 0.0;
      for (int k = 0; k < in; ++k) expected += static_cast<double>(x[row * in + k]) * w[o * in + k];
      EXPECT_NEAR(got[o], expected, 1e-4) << "row " << row << " output " << o;
    }
  }
}

// bf16 mode: weights converted once at prepare_linear, activations per product, fp32
// accumulation. The result is the fp32 product of the bf16-rounded operands up to summation
// order, whatever the weight's fp32 copy holds afterwards.
TEST(CudaBackend, Bf16ProductsReadWeightsConvertedAtLoad) {
  REQUIRE_CUDA(gpu, backend::CudaMath::kBf16);
  const int rows = 37, in = 96, out = 50, stride = 100;
  const std::vector<float> x = random_values(static_cast<std::size_t>(rows) * stride, 2);
  std::vector<float> w = random_values(static_cast<std::size_t>(out) * in, 3);
  const std::vector<float> bias = random_values(out, 4);
  backend::DeviceArray<float> device_x(*gpu, x.size());
  backend::DeviceArray<float> device_w(*gpu, w.size());
  backend::DeviceArray<float> device_bias(*gpu, bias.size());
  backend::DeviceArray<float> device_y(*gpu, static_cast<std::size_t>(rows) * out);
  gpu->copy_to_device(device_x.data(), x.data(), x.size() * sizeof(float));
  gpu->copy_to_device(device_w.data(), w.data(), w.size() * sizeof(float));
  gpu->copy_to_device(device_bias.data(), bias.data(), bias.size() * sizeof(float));
  const auto weight = gpu->prepare_linear(device_w.data(), out, in, backend::WeightUse::kLinear);
  // Overwrite the fp32 weight: a product that still converted it per call would now differ.
  const std::vector<float> zeros(w.size(), 0.0f);
  gpu->copy_to_device(device_w.data(), zeros.data(), zeros.size() * sizeof(float));
  gpu->linear(rows, device_x.data(), stride, *weight, device_bias.data(), device_y.data());
  std::vector<float> y(static_cast<std::size_t>(rows) * out);
  gpu->copy_to_host(y.data(), device_y.data(), y.size() * sizeof(float));
  double worst = 0.0;
  for (int r = 0; r < rows; ++r) {
    for (int o = 0; o < out; ++o) {
      double expected = bias[o];
      for (int k = 0; k < in; ++k) {
        expected += static_cast<double>(bf16_round(x[r * stride + k])) * bf16_round(w[o * in + k]);
      }
      worst = std::max(worst, std::abs(expected - y[r * out + o]));
    }
  }
  std::printf("bf16 linear: max |y - fp32 product of bf16 operands| = %.3g\n", worst);
  EXPECT_LT(worst, 1e-4);
}

// NaN ranks below every number on both backends (backend/argmax_order.h).
TEST(CudaBackend, ArgmaxWithNanMatchesTheCpu) {
  REQUIRE_CUDA(gpu, backend::CudaMath::kFp32);
  auto cpu = backend::make_cpu_backend(1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (int vocab : {11, 33, 70}) {
    const int rows = 400;
    std::mt19937 generator(vocab);
    std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
    std::uniform_int_distribution<int> kind(0, 9);
    std::vector<float> logits(static_cast<std::size_t>(rows) * vocab);
    for (float& value : logits) {
      const int k = kind(generator);
      value = k == 0 ? nan : k == 1 ? -inf : k == 2 ? 1.5f : uniform(generator);
    }
    for (int v = 0; v < vocab; ++v) logits[v] = nan;  // row 0: all NaN -> 0
    std::vector<std::vector<std::int32_t>> tokens;
    for (backend::Backend* b : {cpu.get(), gpu.get()}) {
      backend::DeviceArray<float> device_logits(*b, logits.size());
      backend::DeviceArray<std::int32_t> device_tokens(*b, rows);
      b->copy_to_device(device_logits.data(), logits.data(), logits.size() * sizeof(float));
      b->argmax(rows, vocab, device_logits.data(), device_tokens.data());
      std::vector<std::int32_t> host(rows);
      b->copy_to_host(host.data(), device_tokens.data(), rows * sizeof(std::int32_t));
      tokens.push_back(host);
    }
    EXPECT_EQ(tokens[0], tokens[1]) << "vocab " << vocab;
    EXPECT_EQ(tokens[1][0], 0);
  }
}

// A verifier's confidence statistics (backend/confidence_math.h): the same formula in one
// thread per row, so the GPU differs from the CPU only by its expf and logf.
TEST(CudaBackend, ConfidenceMatchesTheCpu) {
  REQUIRE_CUDA(gpu, backend::CudaMath::kFp32);
  auto cpu = backend::make_cpu_backend(1);
  const int rows = 300, positions = 40, prefix = 4, vocab = 11;
  const std::size_t cells = static_cast<std::size_t>(rows) * positions;
  const std::vector<float> logits = random_values(cells * vocab, 17);
  std::vector<std::int32_t> tokens(cells), previous(cells);
  std::mt19937 generator(3);
  for (std::size_t i = 0; i < cells; ++i) {
    tokens[i] = static_cast<std::int32_t>(generator() % vocab);
    previous[i] = i % 7 == 0 ? -1 : static_cast<std::int32_t>(generator() % 2 ? tokens[i] : 0);
  }
  std::vector<std::vector<float>> features;
  for (backend::Backend* b : {cpu.get(), gpu.get()}) {
    backend::DeviceArray<float> device_logits(*b, logits.size());
    backend::DeviceArray<std::int32_t> device_tokens(*b, cells), device_previous(*b, cells);
    backend::DeviceArray<float> device_features(*b, static_cast<std::size_t>(rows) * 6);
    b->copy_to_device(device_logits.data(), logits.data(), logits.size() * sizeof(float));
    b->copy_to_device(device_tokens.data(), tokens.data(), cells * sizeof(std::int32_t));
    b->copy_to_device(device_previous.data(), previous.data(), cells * sizeof(std::int32_t));
    b->confidence(rows, positions, prefix, vocab, device_logits.data(), device_tokens.data(),
                  device_previous.data(), device_features.data());
    std::vector<float> host(static_cast<std::size_t>(rows) * 6);
    b->copy_to_host(host.data(), device_features.data(), host.size() * sizeof(float));
    features.push_back(host);
  }
  for (std::size_t i = 0; i < features[0].size(); ++i) {
    EXPECT_NEAR(features[1][i], features[0][i], 1e-5f * (1.0f + std::fabs(features[0][i])))
        << "row " << i / 6 << " statistic " << i % 6;
  }
}

}  // namespace
}  // namespace gram
