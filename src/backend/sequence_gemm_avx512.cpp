// The mlp_t products' AVX-512 kernel (sequence_gemm.h), compiled for AVX-512 by target
// attribute and called only where CPUID reports it, as the GEMM's kernels are.
//
// Register blocking: a panel's 6 rows of w x NV vectors of 16 channels (NV = 4: 64 channels in
// 24 zmm accumulators); per k, NV loads of x and 6 broadcasts of w feed 6 x NV fused
// multiply-adds. Every accumulator lane is one element's chain acc = fma(w[m][k], x[k][c], acc),
// k ascending: the same bits as the portable kernel.
#include <immintrin.h>

#include "backend/sequence_gemm.h"
#include "backend/simd_avx512.h"

namespace gram::backend::sequence_detail {
namespace {

constexpr int kRows = SequenceWeight::kPanelRows;
constexpr int kHalf = kRows / 2;
constexpr int kLanes = 16;

// Channels [c0, c0 + 16 NV) of the result rows [first, first + count) of panel `w`; the last
// vector holds the lanes of `last` only.
template <int NV, bool kSwiGLU>
GRAM_AVX512 void block(const SequenceProduct& product, const float* w, int first, int count,
                       int c0, __mmask16 last) {
  __m512 acc[kRows][NV];
#pragma GCC unroll 6
  for (int j = 0; j < kRows; ++j) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[j][v] = _mm512_setzero_ps();
  }
  // Locals, so that the accumulators stay in registers (fixed_order_gemm_avx512.cpp).
  const std::size_t x_stride = static_cast<std::size_t>(product.x_stride);
  const int in = product.in;
  const float* x = product.x + c0;
  for (int k = 0; k < in; ++k) {
    __m512 xv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const float* source = x + k * x_stride + v * kLanes;
      xv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(last, source) : _mm512_loadu_ps(source);
    }
#pragma GCC unroll 6
    for (int j = 0; j < kRows; ++j) {
      const __m512 a = _mm512_set1_ps(w[k * kRows + j]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[j][v] = _mm512_fmadd_ps(a, xv[v], acc[j][v]);
    }
  }
  constexpr int kResultRows = kSwiGLU ? kHalf : kRows;
#pragma GCC unroll 6
  for (int j = 0; j < kResultRows; ++j) {
    if (j >= count) break;
    float* y = product.y + static_cast<std::size_t>(first + j) * product.y_stride + c0;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      __m512 value = acc[j][v];
      if constexpr (kSwiGLU) value = _mm512_mul_ps(simd::silu_avx512(value), acc[j + kHalf][v]);
      _mm512_mask_storeu_ps(y + v * kLanes, v == NV - 1 ? last : static_cast<__mmask16>(0xFFFF),
                            value);
    }
  }
}

template <bool kSwiGLU>
GRAM_AVX512 void channel_blocks(const SequenceProduct& product, const float* w, int first,
                                int count) {
  for (int c0 = 0; c0 < product.width; c0 += 4 * kLanes) {
    const int channels = product.width - c0 < 4 * kLanes ? product.width - c0 : 4 * kLanes;
    const int vectors = (channels + kLanes - 1) / kLanes;
    const int tail = channels - (vectors - 1) * kLanes;
    const auto last = static_cast<__mmask16>(tail == kLanes ? 0xFFFF : (1u << tail) - 1u);
    switch (vectors) {
      case 4: block<4, kSwiGLU>(product, w, first, count, c0, last); break;
      case 3: block<3, kSwiGLU>(product, w, first, count, c0, last); break;
      case 2: block<2, kSwiGLU>(product, w, first, count, c0, last); break;
      default: block<1, kSwiGLU>(product, w, first, count, c0, last); break;
    }
  }
}

}  // namespace

GRAM_AVX512 void sequence_product_avx512(const SequenceProduct& product) {
  for (int panel = 0; panel < product.panel_count; ++panel) {
    const float* w = product.panels + static_cast<std::size_t>(panel) * product.in * kRows;
    const int first = panel * (product.swiglu ? kHalf : kRows);
    const int count = product.result_rows - first;
    if (product.swiglu) {
      channel_blocks<true>(product, w, first, count);
    } else {
      channel_blocks<false>(product, w, first, count);
    }
  }
}

}  // namespace gram::backend::sequence_detail
