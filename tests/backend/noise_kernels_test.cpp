// The noise step's AVX-512 kernel against the portable one (backend/noise_kernels.h), and the
// vector expf, logf, sincosf and log1pf (backend/simd_libm_avx512.h) against the scalar
// functions they copy (rng/libm_float.h), bit for bit: on samples spread over every input the
// backend gives them and on the inputs where the scalar functions' branches meet. Skipped on a
// CPU without AVX-512, where the portable kernel is the only one.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "backend/fixed_order_gemm.h"
#include "backend/noise_kernels.h"
#include "backend/simd_libm_avx512.h"
#include "rng/libm_float.h"

namespace gram {
namespace {

namespace libm = rng::libm;

bool same(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b) ||
         (std::isnan(a) && std::isnan(b));
}

// The vector functions on 16 inputs at a time (the last block padded with the first input).
enum class Function { kExp, kLog, kLog1p, kSin, kCos, kSoftplus };

GRAM_AVX512 void vector_apply(Function function, const std::vector<float>& in,
                              std::vector<float>& out) {
  out.resize(in.size());
  for (std::size_t i = 0; i < in.size(); i += 16) {
    alignas(64) float block[16];
    for (int lane = 0; lane < 16; ++lane) block[lane] = i + lane < in.size() ? in[i + lane] : in[0];
    const __m512 x = _mm512_load_ps(block);
    __m512 y, sine, cosine;
    switch (function) {
      case Function::kExp: y = backend::simd::expf_avx512(x); break;
      case Function::kLog: y = backend::simd::logf_avx512(x); break;
      case Function::kLog1p: y = backend::simd::log1pf_avx512(x); break;
      case Function::kSoftplus: y = backend::simd::softplus_avx512(x); break;
      default:
        backend::simd::sincosf_avx512(x, sine, cosine);
        y = function == Function::kSin ? sine : cosine;
    }
    _mm512_store_ps(block, y);
    for (int lane = 0; lane < 16 && i + lane < in.size(); ++lane) out[i + lane] = block[lane];
  }
}

float scalar_apply(Function function, float x) {
  float sine, cosine;
  switch (function) {
    case Function::kExp: return libm::expf(x);
    case Function::kLog: return libm::logf(x);
    case Function::kLog1p: return libm::log1pf(x);
    case Function::kSoftplus: return x > 20.0f ? x : libm::log1pf(libm::expf(x));
    default:
      libm::sincosf(x, &sine, &cosine);
      return function == Function::kSin ? sine : cosine;
  }
}

// Every `stride`-th float bit pattern for which `keep` holds, plus `edges`.
template <typename Keep>
std::vector<float> inputs(std::uint32_t stride, Keep keep, std::vector<float> edges) {
  for (std::uint64_t pattern = 0; pattern < (1ull << 32); pattern += stride) {
    const float x = std::bit_cast<float>(static_cast<std::uint32_t>(pattern));
    if (keep(x)) edges.push_back(x);
  }
  return edges;
}

void expect_same_as_scalar(Function function, const std::vector<float>& in, const char* name) {
  std::vector<float> got;
  vector_apply(function, in, got);
  int differing = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const float want = scalar_apply(function, in[i]);
    if (!same(got[i], want) && differing++ < 5) {
      ADD_FAILURE() << name << "(" << std::hexfloat << in[i] << ") = " << got[i] << ", scalar "
                    << want;
    }
  }
  EXPECT_EQ(differing, 0) << name << " over " << in.size() << " inputs";
}

class NoiseKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!backend::cpu_supports(backend::GemmKernel::kAvx512)) {
      GTEST_SKIP() << "this CPU has no AVX-512: the portable kernel is the only one";
    }
  }
};

TEST_F(NoiseKernels, ExpfEqualsTheScalarFunction) {
  // Every branch of expf: the table's 32 entries, both ends of the special range, infinities.
  const std::vector<float> edges = {0.0f, -0.0f, 1.0f, -1.0f, 20.0f, 88.0f, 88.5f, 0x1.62e42ep6f,
                                    0x1.62e430p6f, -87.9f, -88.0f, -100.0f, -0x1.9d1d9ep6f,
                                    -0x1.9d1da0p6f, -0x1.9fe368p6f, -0x1.9fe36ap6f, -200.0f,
                                    INFINITY, -INFINITY, NAN, 1e-30f, -1e-30f};
  expect_same_as_scalar(Function::kExp, inputs(4093, [](float) { return true; }, edges), "expf");
}

TEST_F(NoiseKernels, LogfEqualsTheScalarFunctionOnBoxMullersUniforms) {
  // Box-Muller's uniforms lie in [2^-33, 1].
  const std::vector<float> edges = {1.0f, 0x1p-33f, 0x1.fffffep-1f, 0.5f, 0x1.666666p-1f,
                                    0x1.6p-1f};
  const auto unit = [](float x) { return x >= 0x1p-33f && x <= 1.0f; };
  expect_same_as_scalar(Function::kLog, inputs(257, unit, edges), "logf");
}

TEST_F(NoiseKernels, SincosfEqualsTheScalarFunctionUpToPi) {
  // Where the paths meet: |x| near 2^-12 and near 0.75 (the top-bit thresholds), quadrant ends.
  std::vector<float> edges = {0.0f, -0.0f, 0x1p-12f, 0x1.fffffep-13f, 0.75f, 0x1.7ffffep-1f,
                              3.1415926f, -3.1415926f, 1.5707963f, -1.5707963f, 2.3561945f,
                              0.78539816f, -0.78539816f, 1e-30f};
  const auto angle = [](float x) { return std::fabs(x) <= 3.1415927f; };
  const auto in = inputs(263, angle, edges);
  expect_same_as_scalar(Function::kSin, in, "sin");
  expect_same_as_scalar(Function::kCos, in, "cos");
}

TEST_F(NoiseKernels, Log1pfAndSoftplusEqualTheScalarFunctions) {
  // log1pf: tiny inputs, both sides of 0.41422 and of the normalisation threshold, huge ones.
  const std::vector<float> edges = {0.0f, 0x1p-60f, 0x1p-54f, 0x1p-29f, 0x1.fffffep-30f,
                                    0.41421f, 0.41422f, 0.41423f, 1.0f, 0x1.6a09e6p0f, 2.0f,
                                    0x1p53f, 0x1p60f, INFINITY, NAN, 0x1p-149f, 1e-45f};
  const auto non_negative = [](float x) { return !(x < 0.0f); };
  expect_same_as_scalar(Function::kLog1p, inputs(4099, non_negative, edges), "log1pf");
  const std::vector<float> softplus_edges = {20.0f, 0x1.400002p4f, 0x1.3ffffep4f, -103.5f,
                                             -104.0f, -20.0f, 0.0f, NAN, INFINITY, -INFINITY};
  expect_same_as_scalar(Function::kSoftplus, inputs(4111, [](float) { return true; },
                                                    softplus_edges), "softplus");
}

TEST_F(NoiseKernels, AvxRowEqualsThePortableRow) {
  std::mt19937 generator(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (std::size_t count : {1u, 3u, 35u, 63u, 64u, 65u, 2368u, 5000u}) {
    std::vector<float> u(count), mu(count), pre(count);
    for (std::size_t i = 0; i < count; ++i) {
      u[i] = normal(generator);
      mu[i] = 0.1f * normal(generator);
      pre[i] = 10.0f * normal(generator);  // both sides of 20 and far below zero
    }
    if (count > 10) {
      pre[3] = -110.0f;
      pre[4] = 25.0f;
      pre[5] = -103.5f;
    }
    backend::noise_detail::NoiseRowArgs args;
    args.key = {0x123456789abcdefULL, 7, 3, 11, 1};
    args.count = count;
    args.mu = mu.data();
    args.sigma_pre = pre.data();
    args.sigma_min = 0.01f;
    args.sigma_max = 1.0f;
    std::vector<float> vector_h = u, scalar_h = u;
    args.h = vector_h.data();
    backend::noise_detail::noise_row_avx512(args);
    args.h = scalar_h.data();
    backend::noise_detail::noise_row_portable(args);
    int differing = 0;
    for (std::size_t i = 0; i < count; ++i) differing += !same(vector_h[i], scalar_h[i]);
    EXPECT_EQ(differing, 0) << count << " elements";
  }
}

}  // namespace
}  // namespace gram
