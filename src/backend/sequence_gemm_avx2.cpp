// The mlp_t products' AVX2 kernel (sequence_gemm.h), for CPUs without AVX-512, compiled by
// target attribute and called after a CPUID check.
//
// Register blocking: a panel's 6 rows of w x 2 vectors of 8 channels, 12 ymm accumulators; per
// k, 2 loads of x and 6 broadcasts of w. Each lane is one element's chain
// acc = fma(w[m][k], x[k][c], acc), k ascending: the same bits as the other kernels.
#include <immintrin.h>

#include <cstdint>

#include "backend/sequence_gemm.h"
#include "backend/simd_avx2.h"

namespace gram::backend::sequence_detail {
namespace {

constexpr int kRows = SequenceWeight::kPanelRows;
constexpr int kHalf = kRows / 2;
constexpr int kLanes = 8;

// Lanes [0, valid) on, for masked loads and stores.
GRAM_AVX2 inline __m256i lane_mask(int valid) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), index);
}

// Channels [c0, c0 + channels), channels <= 16, of the result rows [first, first + count).
template <bool kSwiGLU>
GRAM_AVX2 void block(const SequenceProduct& product, const float* w, int first, int count, int c0,
                     int channels) {
  const __m256i mask[2] = {lane_mask(channels), lane_mask(channels - kLanes)};
  __m256 acc[kRows][2];
#pragma GCC unroll 6
  for (int j = 0; j < kRows; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
  const std::size_t x_stride = static_cast<std::size_t>(product.x_stride);
  const int in = product.in;
  const float* x = product.x + c0;
  for (int k = 0; k < in; ++k) {
    const __m256 x0 = _mm256_maskload_ps(x + k * x_stride, mask[0]);
    const __m256 x1 = _mm256_maskload_ps(x + k * x_stride + kLanes, mask[1]);
#pragma GCC unroll 6
    for (int j = 0; j < kRows; ++j) {
      const __m256 a = _mm256_broadcast_ss(w + k * kRows + j);
      acc[j][0] = _mm256_fmadd_ps(a, x0, acc[j][0]);
      acc[j][1] = _mm256_fmadd_ps(a, x1, acc[j][1]);
    }
  }
  constexpr int kResultRows = kSwiGLU ? kHalf : kRows;
#pragma GCC unroll 6
  for (int j = 0; j < kResultRows; ++j) {
    if (j >= count) break;
    float* y = product.y + static_cast<std::size_t>(first + j) * product.y_stride + c0;
    for (int v = 0; v < 2; ++v) {
      __m256 value = acc[j][v];
      if constexpr (kSwiGLU) value = _mm256_mul_ps(simd::silu_avx2(value), acc[j + kHalf][v]);
      _mm256_maskstore_ps(y + v * kLanes, mask[v], value);
    }
  }
}

}  // namespace

GRAM_AVX2 void sequence_product_avx2(const SequenceProduct& product) {
  for (int panel = 0; panel < product.panel_count; ++panel) {
    const float* w = product.panels + static_cast<std::size_t>(panel) * product.in * kRows;
    const int first = panel * (product.swiglu ? kHalf : kRows);
    for (int c0 = 0; c0 < product.width; c0 += 2 * kLanes) {
      const int channels = product.width - c0 < 2 * kLanes ? product.width - c0 : 2 * kLanes;
      if (product.swiglu) {
        block<true>(product, w, first, product.result_rows - first, c0, channels);
      } else {
        block<false>(product, w, first, product.result_rows - first, c0, channels);
      }
    }
  }
}

}  // namespace gram::backend::sequence_detail
