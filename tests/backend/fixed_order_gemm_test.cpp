// The fixed-order GEMM (backend/fixed_order_gemm.h): every kernel computes exactly the chain of
// fused multiply-adds it promises, so a row's result depends on that row alone, and is close to
// the exact product.
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

namespace gram {
namespace {

using backend::GemmKernel;

std::vector<float> random_values(std::size_t count, std::uint32_t seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal;
  std::vector<float> values(count);
  for (float& value : values) value = normal(generator);
  return values;
}

std::vector<GemmKernel> supported_kernels() {
  std::vector<GemmKernel> kernels;
  for (GemmKernel kernel : {GemmKernel::kPortable, GemmKernel::kAvx2, GemmKernel::kAvx512}) {
    if (backend::cpu_supports(kernel)) {
      kernels.push_back(kernel);
    } else {
      std::printf("GEMM kernel %s: not tested, this CPU lacks its instructions\n",
                  backend::to_string(kernel).c_str());
    }
  }
  return kernels;
}

// The definition, written out: acc = fma(x[r][k], w[o][k], acc) for k ascending from 0, then
// + bias[o] once.
std::vector<float> defined_product(int rows, int out, int in, const std::vector<float>& x,
                                   int x_stride, const std::vector<float>& w,
                                   const std::vector<float>* bias) {
  std::vector<float> y(static_cast<std::size_t>(rows) * out);
  for (int r = 0; r < rows; ++r) {
    for (int o = 0; o < out; ++o) {
      float acc = 0.0f;
      for (int k = 0; k < in; ++k) {
        acc = std::fma(x[static_cast<std::size_t>(r) * x_stride + k],
                       w[static_cast<std::size_t>(o) * in + k], acc);
      }
      y[static_cast<std::size_t>(r) * out + o] = bias != nullptr ? acc + (*bias)[o] : acc;
    }
  }
  return y;
}

int differing_bits(const std::vector<float>& a, const std::vector<float>& b) {
  int differing = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    differing += std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i]);
  }
  return differing;
}

struct Shape {
  int rows, out, in, x_stride;
  bool bias;
};

// Edge cases of every blocking: outputs narrower than, equal to and just past a panel and a
// unit (16, 96 columns), row counts that leave each height of tail block, strided rows.
const Shape kShapes[] = {
    {1, 1, 1, 1, false},    {1, 2, 64, 2368, true},  {7, 15, 3, 3, false},
    {25, 16, 37, 40, true}, {49, 17, 64, 64, false}, {100, 33, 5, 9, true},
    {97, 96, 19, 19, true}, {130, 97, 64, 64, false}, {48, 49, 128, 130, true},
    {23, 8, 64, 64, false},
};

TEST(FixedOrderGemm, EveryKernelComputesTheDefinedOrderBitForBit) {
  for (GemmKernel kernel : supported_kernels()) {
    for (const Shape& shape : kShapes) {
      const auto x = random_values(static_cast<std::size_t>(shape.rows) * shape.x_stride, 1);
      const auto w = random_values(static_cast<std::size_t>(shape.out) * shape.in, 2);
      const auto bias = random_values(shape.out, 3);
      const auto* bias_or_null = shape.bias ? &bias : nullptr;
      const backend::PackedWeight packed(w.data(), shape.out, shape.in);
      for (int threads : {1, 2}) {
        backend::ThreadPool pool(threads);
        std::vector<float> y(static_cast<std::size_t>(shape.rows) * shape.out, NAN);
        backend::fixed_order_gemm(kernel, pool, shape.rows, x.data(), shape.x_stride, packed,
                                  shape.bias ? bias.data() : nullptr, y.data());
        const auto expected = defined_product(shape.rows, shape.out, shape.in, x,
                                              shape.x_stride, w, bias_or_null);
        EXPECT_EQ(differing_bits(y, expected), 0)
            << backend::to_string(kernel) << " " << shape.rows << " x " << shape.out << " x "
            << shape.in << ", " << threads << " threads";
      }
    }
  }
}

// One row's result, placed at every position of batches of several sizes among other rows:
// always the same bits (what an optimised BLAS does not promise: docs/architecture.md).
TEST(FixedOrderGemm, ARowsResultDoesNotDependOnItsPlaceOrItsNeighbours) {
  const int out = 64;
  const int in = 37;
  const auto w = random_values(static_cast<std::size_t>(out) * in, 4);
  const backend::PackedWeight packed(w.data(), out, in);
  const auto probe = random_values(in, 5);
  backend::ThreadPool pool(2);
  for (GemmKernel kernel : supported_kernels()) {
    std::vector<float> first;
    for (int rows : {1, 5, 24, 50, 129}) {
      for (int place = 0; place < rows; place += 1 + rows / 7) {
        auto x = random_values(static_cast<std::size_t>(rows) * in, 6 + rows + place);
        std::copy(probe.begin(), probe.end(), x.begin() + static_cast<std::ptrdiff_t>(place) * in);
        std::vector<float> y(static_cast<std::size_t>(rows) * out);
        backend::fixed_order_gemm(kernel, pool, rows, x.data(), in, packed, nullptr, y.data());
        const std::vector<float> row(y.begin() + static_cast<std::ptrdiff_t>(place) * out,
                                     y.begin() + static_cast<std::ptrdiff_t>(place + 1) * out);
        if (first.empty()) first = row;
        EXPECT_EQ(differing_bits(row, first), 0) << backend::to_string(kernel) << ", row "
                                                 << place << " of " << rows;
      }
    }
  }
}

// Close to the exact product: fp32 with one rounding per step.
TEST(FixedOrderGemm, IsCloseToTheProductInDoublePrecision) {
  const int rows = 33, out = 70, in = 300;
  const auto x = random_values(static_cast<std::size_t>(rows) * in, 7);
  const auto w = random_values(static_cast<std::size_t>(out) * in, 8);
  const backend::PackedWeight packed(w.data(), out, in);
  std::vector<float> y(static_cast<std::size_t>(rows) * out);
  backend::ThreadPool pool(2);
  backend::fixed_order_gemm(backend::best_gemm_kernel(), pool, rows, x.data(), in, packed, nullptr,
                            y.data());
  for (int r = 0; r < rows; ++r) {
    for (int o = 0; o < out; ++o) {
      double exact = 0.0;
      double magnitude = 0.0;
      for (int k = 0; k < in; ++k) {
        const double term = double(x[std::size_t(r) * in + k]) * w[std::size_t(o) * in + k];
        exact += term;
        magnitude += std::abs(term);
      }
      EXPECT_NEAR(y[std::size_t(r) * out + o], exact, 1e-6 * magnitude * std::sqrt(in));
    }
  }
}

TEST(FixedOrderGemm, KernelNamesRoundTripAndUnknownNamesAreRefused) {
  for (GemmKernel kernel : {GemmKernel::kPortable, GemmKernel::kAvx2, GemmKernel::kAvx512}) {
    EXPECT_EQ(backend::parse_gemm_kernel(backend::to_string(kernel)), kernel);
  }
  EXPECT_TRUE(backend::cpu_supports(GemmKernel::kPortable));
  EXPECT_TRUE(backend::cpu_supports(backend::best_gemm_kernel()));
  try {
    backend::parse_gemm_kernel("sse9");
    FAIL() << "an unknown kernel name was accepted";
  } catch (const std::exception& error) {
    EXPECT_EQ(std::string(error.what()),
              "GRAM_CPU_GEMM 'sse9': unknown (expected portable, avx2 or avx512)");
  }
}

// Through the backend interface: a prepared weight, rows read in place with a stride.
TEST(FixedOrderGemm, TheCpuBackendsLinearIsTheFixedOrderProduct) {
  const int rows = 11, out = 20, in = 24, stride = 50;
  const auto x = random_values(static_cast<std::size_t>(rows) * stride, 9);
  const auto w = random_values(static_cast<std::size_t>(out) * in, 10);
  const auto bias = random_values(out, 11);
  auto cpu = backend::make_cpu_backend(2);
  const auto weight = cpu->prepare_linear(w.data(), out, in, backend::WeightUse::kLinear);
  EXPECT_EQ(weight->out(), out);
  EXPECT_EQ(weight->in(), in);
  std::vector<float> y(static_cast<std::size_t>(rows) * out);
  cpu->linear(rows, x.data(), stride, *weight, bias.data(), y.data());
  EXPECT_EQ(differing_bits(y, defined_product(rows, out, in, x, stride, w, &bias)), 0);
  EXPECT_NE(cpu->describe().find("fixed-order GEMM"), std::string::npos) << cpu->describe();
}

}  // namespace
}  // namespace gram
