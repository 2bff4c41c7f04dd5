#pragma once
// fast_exp and fast_silu (vector_math.h) on the 8 lanes of an AVX2 register, operation for
// operation as the scalar functions, as simd_avx512.h does for AVX-512 (which says why these
// are written with intrinsics).
//
// Only for files whose functions carry GRAM_AVX2 and are called after a CPUID check.
#include <immintrin.h>

#include <cstdint>

#define GRAM_AVX2 __attribute__((target("avx2,fma")))

namespace gram::backend::simd {

GRAM_AVX2 static inline __m256 exp_avx2(__m256 x) {
  // vmaxps/vminps with the constant first compute std::max/std::min exactly (simd_avx512.h).
  x = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x));
  const __m256 round = _mm256_set1_ps(12582912.0f);
  const __m256 nf = _mm256_sub_ps(
      _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), round), round);
  const __m256 r =
      _mm256_add_ps(_mm256_sub_ps(x, _mm256_mul_ps(nf, _mm256_set1_ps(0.693359375f))),
                    _mm256_mul_ps(nf, _mm256_set1_ps(2.12194440e-4f)));
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(5.0000001201e-1f));
  const __m256 e_r = _mm256_add_ps(
      _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, r), r), r), _mm256_set1_ps(1.0f));
  const __m256i n = _mm256_cvttps_epi32(nf);
  const __m256 two_n =
      _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
  return _mm256_mul_ps(e_r, two_n);
}

// x / (1 + e^-x)
GRAM_AVX2 static inline __m256 silu_avx2(__m256 x) {
  const __m256 negated = _mm256_xor_ps(x, _mm256_set1_ps(-0.0f));  // the sign bit only
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), exp_avx2(negated)));
}

}  // namespace gram::backend::simd
