// SiLU and SwiGLU arrays on AVX2 (elementwise_kernels.h); the last few elements go through the
// scalar fast_silu, which rounds exactly as the vector lanes do.
#include <immintrin.h>

#include "backend/elementwise_kernels.h"
#include "backend/simd_avx2.h"
#include "backend/vector_math.h"

namespace gram::backend::elementwise_detail {

GRAM_AVX2 void silu_avx2(std::size_t count, float* x) {
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) _mm256_storeu_ps(x + i, simd::silu_avx2(_mm256_loadu_ps(x + i)));
  for (; i < count; ++i) x[i] = fast_silu(x[i]);
}

GRAM_AVX2 void swiglu_avx2(std::size_t count, const float* gate, const float* up, float* out) {
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_mul_ps(simd::silu_avx2(_mm256_loadu_ps(gate + i)),
                                            _mm256_loadu_ps(up + i)));
  }
  for (; i < count; ++i) out[i] = fast_silu(gate[i]) * up[i];
}

}  // namespace gram::backend::elementwise_detail
