#pragma once
// fast_exp and fast_silu (vector_math.h) on the 16 lanes of an AVX-512 register: the same
// operations in the same order, so that every lane rounds exactly as the scalar function does
// (the backend is built without FMA contraction). Intrinsics rather than the compiler's
// vectorisation of the scalar loop: GCC 12 turns the clamp into a select between whole
// computations and evaluates x / (1 + e^88) for every element, a denormal quotient that costs
// a microcode assist per lane (SwiGLU ran 10x slower on Sapphire Rapids for it).
//
// Only for files whose functions carry GRAM_AVX512 and are called after a CPUID check.
//
// The functions here and in simd_libm_avx512.h / simd_avx2.h are `static`: each file gets its
// own copy. As ordinary inline functions, a file built with other target flags (a test without
// -march=native) would give the linker a second definition built for other CPU features, and
// clang then passes the vectors differently on the two sides of a call (wrong results).
#include <immintrin.h>

#include <cstdint>

#define GRAM_AVX512 __attribute__((target("avx512f,fma")))

namespace gram::backend::simd {

// Every lane. The zero-masking forms of max, min, shift and conversion with this mask are the
// plain instructions; GCC 12's plain intrinsics pass an "undefined" register that its
// -Wuninitialized reports wherever they are inlined.
constexpr __mmask16 kAllLanes = 0xFFFF;

GRAM_AVX512 static inline __m512 exp_avx512(__m512 x) {
  // std::max(x, -87) is (x < -87 ? -87 : x); vmaxps(a, b) is (a > b ? a : b): same for every
  // input, NaN included, with the constant first (and likewise for min).
  x = _mm512_maskz_min_ps(kAllLanes, _mm512_set1_ps(88.0f),
                          _mm512_maskz_max_ps(kAllLanes, _mm512_set1_ps(-87.0f), x));
  const __m512 round = _mm512_set1_ps(12582912.0f);
  const __m512 nf = _mm512_sub_ps(
      _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), round), round);
  const __m512 r =
      _mm512_add_ps(_mm512_sub_ps(x, _mm512_mul_ps(nf, _mm512_set1_ps(0.693359375f))),
                    _mm512_mul_ps(nf, _mm512_set1_ps(2.12194440e-4f)));
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.0000001201e-1f));
  const __m512 e_r = _mm512_add_ps(
      _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r), _mm512_set1_ps(1.0f));
  const __m512i n = _mm512_maskz_cvttps_epi32(kAllLanes, nf);
  const __m512 two_n = _mm512_castsi512_ps(
      _mm512_maskz_slli_epi32(kAllLanes, _mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
  return _mm512_mul_ps(e_r, two_n);
}

// x / (1 + e^-x)
GRAM_AVX512 static inline __m512 silu_avx512(__m512 x) {
  // -x flips the sign bit (0 - x would turn -0 into +0).
  const __m512 negated = _mm512_castsi512_ps(
      _mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN)));
  return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), exp_avx512(negated)));
}

}  // namespace gram::backend::simd
