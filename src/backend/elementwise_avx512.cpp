// SiLU and SwiGLU arrays on AVX-512 (elementwise_kernels.h); the last partial vector is
// masked, so every element goes through the same vector code.
#include <immintrin.h>

#include "backend/elementwise_kernels.h"
#include "backend/simd_avx512.h"

namespace gram::backend::elementwise_detail {
namespace {

GRAM_AVX512 inline __mmask16 tail_mask(std::size_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}

}  // namespace

GRAM_AVX512 void silu_avx512(std::size_t count, float* x) {
  for (std::size_t i = 0; i < count; i += 16) {
    const __mmask16 mask = tail_mask(count - i);
    _mm512_mask_storeu_ps(x + i, mask, simd::silu_avx512(_mm512_maskz_loadu_ps(mask, x + i)));
  }
}

GRAM_AVX512 void swiglu_avx512(std::size_t count, const float* gate, const float* up,
                               float* out) {
  for (std::size_t i = 0; i < count; i += 16) {
    const __mmask16 mask = tail_mask(count - i);
    const __m512 value = _mm512_mul_ps(simd::silu_avx512(_mm512_maskz_loadu_ps(mask, gate + i)),
                                       _mm512_maskz_loadu_ps(mask, up + i));
    _mm512_mask_storeu_ps(out + i, mask, value);
  }
}

}  // namespace gram::backend::elementwise_detail
