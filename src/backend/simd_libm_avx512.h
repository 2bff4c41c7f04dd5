#pragma once
// rng/libm_float.h's expf, logf, sincosf and log1pf on 16 floats at once with AVX-512: the
// same operations on every lane (double-precision parts on two halves of 8), so every lane
// rounds exactly as the scalar function does, which tests/backend/simd_libm_test.cpp checks on
// the inputs where the branches of the scalar functions meet.
//
// Each covers the inputs the CPU backend gives it: expf every float, log1pf the non-negative
// ones and NaN (all that softplus gives it), logf [2^-33, 1] (Box-Muller's uniform), sincosf
// |x| <= pi (Box-Muller's angle). A file that includes this header must be built without FMA
// contraction (-ffp-contract=off), as the backend is.
//
// Only for files whose functions carry GRAM_AVX512 and are called after a CPUID check.
#include <immintrin.h>

#include <cstdint>

#include "backend/simd_avx512.h"
#include "rng/libm_float.h"

namespace gram::backend::simd {

// The 8 floats of `x` from `half` (0: lanes 0-7, 1: lanes 8-15) as doubles.
GRAM_AVX512 static inline __m512d half_to_double(__m512 x, int half) {
  const __m256 part = half == 0 ? _mm512_castps512_ps256(x)
                                : _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1));
  return _mm512_cvtps_pd(part);
}
// Two halves of 8 doubles rounded back to 16 floats.
GRAM_AVX512 static inline __m512 join_to_float(__m512d low, __m512d high) {
  const __m256 a = _mm512_cvtpd_ps(low);
  const __m256 b = _mm512_cvtpd_ps(high);
  return _mm512_castpd_ps(
      _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(a)), _mm256_castps_pd(b), 1));
}
// The 8 32-bit integers of `v` from `half`.
GRAM_AVX512 static inline __m256i half_of(__m512i v, int half) {
  return half == 0 ? _mm512_castsi512_si256(v) : _mm512_extracti64x4_epi64(v, 1);
}
// The same widened to 64-bit lanes (table indices).
GRAM_AVX512 static inline __m512i half_to_int64(__m512i v, int half) {
  return _mm512_cvtepi32_epi64(half_of(v, half));
}
GRAM_AVX512 static inline __m512d table8(const double* entries) { return _mm512_loadu_pd(entries); }

// --- logf on (0, 1] --------------------------------------------------------------------------
GRAM_AVX512 static inline __m512d logf_half(__m512i ix, __m512i tmp, int half) {
  namespace libm = rng::libm;
  alignas(64) static const double invc[16] = {
      libm::kLogfTable[0].invc,  libm::kLogfTable[1].invc,  libm::kLogfTable[2].invc,
      libm::kLogfTable[3].invc,  libm::kLogfTable[4].invc,  libm::kLogfTable[5].invc,
      libm::kLogfTable[6].invc,  libm::kLogfTable[7].invc,  libm::kLogfTable[8].invc,
      libm::kLogfTable[9].invc,  libm::kLogfTable[10].invc, libm::kLogfTable[11].invc,
      libm::kLogfTable[12].invc, libm::kLogfTable[13].invc, libm::kLogfTable[14].invc,
      libm::kLogfTable[15].invc};
  alignas(64) static const double logc[16] = {
      libm::kLogfTable[0].logc,  libm::kLogfTable[1].logc,  libm::kLogfTable[2].logc,
      libm::kLogfTable[3].logc,  libm::kLogfTable[4].logc,  libm::kLogfTable[5].logc,
      libm::kLogfTable[6].logc,  libm::kLogfTable[7].logc,  libm::kLogfTable[8].logc,
      libm::kLogfTable[9].logc,  libm::kLogfTable[10].logc, libm::kLogfTable[11].logc,
      libm::kLogfTable[12].logc, libm::kLogfTable[13].logc, libm::kLogfTable[14].logc,
      libm::kLogfTable[15].logc};
  const __m512i index = half_to_int64(_mm512_and_si512(_mm512_srli_epi32(tmp, 19),
                                                       _mm512_set1_epi32(15)), half);
  const __m512d c_inv = _mm512_permutex2var_pd(table8(invc), index, table8(invc + 8));
  const __m512d c_log = _mm512_permutex2var_pd(table8(logc), index, table8(logc + 8));
  const __m256i k = half_of(_mm512_srai_epi32(tmp, 23), half);
  const __m512i iz = _mm512_sub_epi32(ix, _mm512_and_si512(tmp, _mm512_set1_epi32(
                                                               static_cast<int>(0xff800000u))));
  const __m512d z = half_to_double(_mm512_castsi512_ps(iz), half);
  const __m512d r = _mm512_fmadd_pd(z, c_inv, _mm512_set1_pd(-1.0));
  const __m512d y0 =
      _mm512_fmadd_pd(_mm512_cvtepi32_pd(k), _mm512_set1_pd(libm::kLogfLn2), c_log);
  const __m512d r2 = _mm512_mul_pd(r, r);
  __m512d y = _mm512_fmadd_pd(r, _mm512_set1_pd(libm::kLogfPoly[1]),
                              _mm512_set1_pd(libm::kLogfPoly[2]));
  y = _mm512_fmadd_pd(r2, _mm512_set1_pd(libm::kLogfPoly[0]), y);
  return _mm512_fmadd_pd(r2, y, _mm512_add_pd(y0, r));
}

GRAM_AVX512 static inline __m512 logf_avx512(__m512 x) {
  const __m512i ix = _mm512_castps_si512(x);
  const __m512i tmp = _mm512_sub_epi32(ix, _mm512_set1_epi32(0x3f330000));
  const __m512 y = join_to_float(logf_half(ix, tmp, 0), logf_half(ix, tmp, 1));
  const __mmask16 one = _mm512_cmpeq_epi32_mask(ix, _mm512_set1_epi32(0x3f800000));
  return _mm512_mask_blend_ps(one, y, _mm512_setzero_ps());
}

// --- sincosf on |x| <= pi --------------------------------------------------------------------
// b in the lanes of `mask`, a elsewhere.
GRAM_AVX512 static inline __m512d either(__mmask8 mask, double a, double b) {
  return _mm512_mask_blend_pd(mask, _mm512_set1_pd(a), _mm512_set1_pd(b));
}

GRAM_AVX512 static inline void sincosf_half(__m512 x_float, __m512i top, int half, __m512d& sine,
                                     __m512d& cosine, __mmask8& swapped) {
  namespace libm = rng::libm;
  const auto& t0 = libm::kSincosfTable[0];
  const auto& t1 = libm::kSincosfTable[1];
  const __m512d x = half_to_double(x_float, half);
  // Lanes of |x| >= pi/4 are reduced by the nearest n pi/2 (n in quadrant order); the others
  // keep x with n = 0.
  const __m512i top64 = half_to_int64(top, half);
  const __mmask8 reduce = _mm512_cmpge_epi64_mask(top64, _mm512_set1_epi64(0x3f4));
  const __m256i scaled = _mm512_cvttpd_epi32(_mm512_mul_pd(x, _mm512_set1_pd(t0.hpi_inv)));
  const __m256i n32 = _mm256_srai_epi32(_mm256_add_epi32(scaled, _mm256_set1_epi32(0x800000)), 24);
  const __m512i n = _mm512_maskz_mov_epi64(reduce, _mm512_cvtepi32_epi64(n32));
  const __m512d r =
      _mm512_fnmadd_pd(_mm512_cvtepi32_pd(_mm512_cvtepi64_epi32(n)), _mm512_set1_pd(t0.hpi), x);
  // sign[n & 3]: -1 in quadrants 1 and 2.
  const __m512i quadrant = _mm512_and_si512(n, _mm512_set1_epi64(3));
  const __mmask8 negative = _mm512_cmpeq_epi64_mask(quadrant, _mm512_set1_epi64(1)) |
                            _mm512_cmpeq_epi64_mask(quadrant, _mm512_set1_epi64(2));
  const __m512d reduced =
      _mm512_mask_sub_pd(r, negative, _mm512_setzero_pd(), r);  // r * -1 is exact: -r
  const __m512d xv = _mm512_mask_blend_pd(reduce, x, reduced);
  const __m512d x2 = _mm512_mask_blend_pd(reduce, _mm512_mul_pd(x, x), _mm512_mul_pd(r, r));
  // Quadrants 2 and 3 take the second table.
  const __mmask8 second = _mm512_test_epi64_mask(n, _mm512_set1_epi64(2));
  const __m512d x3 = _mm512_mul_pd(x2, xv);
  const __m512d x4 = _mm512_mul_pd(x2, x2);
  const __m512d x5 = _mm512_mul_pd(x3, x2);
  const __m512d x6 = _mm512_mul_pd(x4, x2);
  const __m512d s1 =
      _mm512_fmadd_pd(x2, either(second, t0.s3, t1.s3), either(second, t0.s2, t1.s2));
  const __m512d c2 =
      _mm512_fmadd_pd(x2, either(second, t0.c4, t1.c4), either(second, t0.c3, t1.c3));
  const __m512d c1 =
      _mm512_fmadd_pd(x2, either(second, t0.c1, t1.c1), either(second, t0.c0, t1.c0));
  const __m512d s = _mm512_fmadd_pd(x3, either(second, t0.s1, t1.s1), xv);
  const __m512d c = _mm512_fmadd_pd(x4, either(second, t0.c2, t1.c2), c1);
  sine = _mm512_fmadd_pd(x5, s1, s);
  cosine = _mm512_fmadd_pd(x6, c2, c);
  swapped = _mm512_test_epi64_mask(n, _mm512_set1_epi64(1));
}

GRAM_AVX512 static inline void sincosf_avx512(__m512 x, __m512& sine, __m512& cosine) {
  const __m512i top = _mm512_and_si512(_mm512_srli_epi32(_mm512_castps_si512(x), 20),
                                       _mm512_set1_epi32(0x7ff));
  __m512d s[2], c[2];
  __mmask8 swapped[2];
  sincosf_half(x, top, 0, s[0], c[0], swapped[0]);
  sincosf_half(x, top, 1, s[1], c[1], swapped[1]);
  const __m512 s_float = join_to_float(s[0], s[1]);
  const __m512 c_float = join_to_float(c[0], c[1]);
  const auto swap = static_cast<__mmask16>(swapped[0] | (swapped[1] << 8));
  sine = _mm512_mask_blend_ps(swap, s_float, c_float);
  cosine = _mm512_mask_blend_ps(swap, c_float, s_float);
  // |x| < 2^-12: sin x = x, cos x = 1.
  const __mmask16 tiny = _mm512_cmplt_epi32_mask(top, _mm512_set1_epi32(0x398));
  sine = _mm512_mask_blend_ps(tiny, sine, x);
  cosine = _mm512_mask_blend_ps(tiny, cosine, _mm512_set1_ps(1.0f));
}

// --- expf ------------------------------------------------------------------------------------
GRAM_AVX512 static inline __m512d expf_half(__m512 x, int half) {
  namespace libm = rng::libm;
  const std::uint64_t* table = libm::kExpfTable;
  const __m512d xd = half_to_double(x, half);
  const __m512d shift = _mm512_set1_pd(libm::kExpfShift);
  const __m512d inv_ln2 = _mm512_set1_pd(libm::kExpfInvLn2N);
  const __m512d shifted = _mm512_fmadd_pd(inv_ln2, xd, shift);
  const __m512i ki = _mm512_castpd_si512(shifted);
  const __m512d kd = _mm512_sub_pd(shifted, shift);
  const __m512d r = _mm512_fmsub_pd(inv_ln2, xd, kd);
  // table[ki % 32]: two 16-entry lookups, chosen by bit 4.
  const __m512i index = _mm512_and_si512(ki, _mm512_set1_epi64(31));
  const __m512i low = _mm512_permutex2var_epi64(_mm512_loadu_si512(table), index,
                                                _mm512_loadu_si512(table + 8));
  const __m512i high = _mm512_permutex2var_epi64(_mm512_loadu_si512(table + 16), index,
                                                 _mm512_loadu_si512(table + 24));
  const __mmask8 upper = _mm512_test_epi64_mask(index, _mm512_set1_epi64(16));
  const __m512i entry = _mm512_mask_blend_epi64(upper, low, high);
  const __m512d s = _mm512_castsi512_pd(_mm512_add_epi64(entry, _mm512_slli_epi64(ki, 47)));
  const __m512d z = _mm512_fmadd_pd(r, _mm512_set1_pd(libm::kExpfPoly[0]),
                                    _mm512_set1_pd(libm::kExpfPoly[1]));
  const __m512d y = _mm512_fmadd_pd(
      z, _mm512_mul_pd(r, r),
      _mm512_fmadd_pd(r, _mm512_set1_pd(libm::kExpfPoly[2]), _mm512_set1_pd(1.0)));
  return _mm512_mul_pd(y, s);
}

GRAM_AVX512 static inline __m512 expf_avx512(__m512 x) {
  __m512 y = join_to_float(expf_half(x, 0), expf_half(x, 1));
  const __m512i bits = _mm512_castps_si512(x);
  const __m512i top = _mm512_and_si512(_mm512_srli_epi32(bits, 20), _mm512_set1_epi32(0x7ff));
  const __mmask16 special = _mm512_cmpgt_epi32_mask(top, _mm512_set1_epi32(0x42a));
  if (special == 0) return y;
  // |x| >= 88, infinite or NaN: the scalar function's special cases, in its order.
  const __mmask16 may_underflow =
      special & _mm512_cmp_ps_mask(x, _mm512_set1_ps(-0x1.9d1d9ep6f), _CMP_LT_OQ);
  const __mmask16 underflow =
      special & _mm512_cmp_ps_mask(x, _mm512_set1_ps(-0x1.9fe368p6f), _CMP_LT_OQ);
  const __mmask16 overflow =
      special & _mm512_cmp_ps_mask(x, _mm512_set1_ps(0x1.62e42ep6f), _CMP_GT_OQ);
  const __mmask16 not_finite = special & _mm512_cmpgt_epi32_mask(top, _mm512_set1_epi32(0x7f7));
  const __mmask16 minus_infinity =
      _mm512_cmpeq_epi32_mask(bits, _mm512_set1_epi32(static_cast<int>(0xff800000u)));
  y = _mm512_mask_blend_ps(may_underflow, y, _mm512_set1_ps(0x1p-149f));
  y = _mm512_mask_blend_ps(underflow, y, _mm512_setzero_ps());
  y = _mm512_mask_blend_ps(overflow, y, _mm512_set1_ps(__builtin_inff()));
  y = _mm512_mask_blend_ps(not_finite, y, _mm512_add_ps(x, x));
  return _mm512_mask_blend_ps(minus_infinity, y, _mm512_setzero_ps());
}

// --- log1pf on x >= 0 and NaN ----------------------------------------------------------------
GRAM_AVX512 static inline __m512 log1pf_avx512(__m512 x) {
  namespace libm = rng::libm;
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512i hx = _mm512_castps_si512(x);
  // x >= 0.41422: u = 1 + x (or x itself from 2^53 on), k its exponent, c the rounding error
  // of 1 + x over u, then u normalised into [sqrt(2)/2, sqrt(2)).
  const __mmask16 large = _mm512_cmpge_epi32_mask(hx, _mm512_set1_epi32(0x3ed413d7));
  const __mmask16 huge = _mm512_cmpge_epi32_mask(hx, _mm512_set1_epi32(0x5a000000));
  const __m512 u = _mm512_mask_blend_ps(huge, _mm512_add_ps(one, x), x);
  const __m512i hu_bits = _mm512_castps_si512(u);
  __m512i k = _mm512_sub_epi32(_mm512_srai_epi32(hu_bits, 23), _mm512_set1_epi32(127));
  const __mmask16 positive_k = _mm512_cmpgt_epi32_mask(k, _mm512_setzero_si512());
  const __m512 error = _mm512_mask_blend_ps(positive_k, _mm512_sub_ps(x, _mm512_sub_ps(u, one)),
                                            _mm512_sub_ps(one, _mm512_sub_ps(u, x)));
  __m512 c = _mm512_maskz_div_ps(static_cast<__mmask16>(~huge), error, u);
  __m512i hu = _mm512_and_si512(hu_bits, _mm512_set1_epi32(0x007fffff));
  const __mmask16 upper = _mm512_cmpge_epi32_mask(hu, _mm512_set1_epi32(0x3504f7));
  const __m512 normalised = _mm512_castsi512_ps(_mm512_or_si512(
      hu, _mm512_mask_blend_epi32(upper, _mm512_set1_epi32(0x3f800000),
                                  _mm512_set1_epi32(0x3f000000))));
  k = _mm512_mask_add_epi32(k, upper, k, _mm512_set1_epi32(1));
  hu = _mm512_mask_srai_epi32(hu, upper, _mm512_sub_epi32(_mm512_set1_epi32(0x00800000), hu), 2);
  // Below 0.41422 (and past the tiny inputs below): k = 0, f = x.
  const __m512 f = _mm512_mask_blend_ps(large, x, _mm512_sub_ps(normalised, one));
  k = _mm512_maskz_mov_epi32(large, k);
  c = _mm512_maskz_mov_ps(large, c);
  hu = _mm512_mask_blend_epi32(large, _mm512_set1_epi32(1), hu);
  const __m512 kf = _mm512_cvtepi32_ps(k);
  const __m512 k_hi = _mm512_mul_ps(kf, _mm512_set1_ps(libm::kLog1pfLn2Hi));
  const __m512 k_lo_c = _mm512_add_ps(_mm512_mul_ps(kf, _mm512_set1_ps(libm::kLog1pfLn2Lo)), c);
  const __m512 hfsq = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), f), f);
  const __mmask16 k_zero = _mm512_cmpeq_epi32_mask(k, _mm512_setzero_si512());
  // The general case.
  const __m512 s = _mm512_div_ps(f, _mm512_add_ps(_mm512_set1_ps(2.0f), f));
  const __m512 z = _mm512_mul_ps(s, s);
  const float* p = libm::kLog1pfPoly;
  __m512 r = _mm512_mul_ps(z, _mm512_set1_ps(p[6]));
  for (int i = 5; i >= 0; --i) r = _mm512_mul_ps(z, _mm512_add_ps(_mm512_set1_ps(p[i]), r));
  const __m512 t = _mm512_mul_ps(s, _mm512_add_ps(hfsq, r));
  __m512 y = _mm512_mask_blend_ps(
      k_zero,
      _mm512_sub_ps(k_hi, _mm512_sub_ps(_mm512_sub_ps(hfsq, _mm512_add_ps(t, k_lo_c)), f)),
      _mm512_sub_ps(f, _mm512_sub_ps(hfsq, t)));
  // hu == 0: |f| < 2^-20.
  const __mmask16 hu_zero = _mm512_cmpeq_epi32_mask(hu, _mm512_setzero_si512());
  if (hu_zero != 0) {
    const __mmask16 f_zero = _mm512_cmp_ps_mask(f, _mm512_setzero_ps(), _CMP_EQ_OQ);
    const __m512 r2 = _mm512_mul_ps(
        hfsq, _mm512_sub_ps(one, _mm512_mul_ps(_mm512_set1_ps(0.66666666666666666f), f)));
    const __m512 small = _mm512_mask_blend_ps(
        k_zero, _mm512_sub_ps(k_hi, _mm512_sub_ps(_mm512_sub_ps(r2, k_lo_c), f)),
        _mm512_sub_ps(f, r2));
    const __m512 exact = _mm512_maskz_add_ps(static_cast<__mmask16>(~k_zero), k_hi,
                                             _mm512_add_ps(c, _mm512_mul_ps(
                                                 kf, _mm512_set1_ps(libm::kLog1pfLn2Lo))));
    y = _mm512_mask_blend_ps(hu_zero, y, _mm512_mask_blend_ps(f_zero, small, exact));
  }
  // |x| < 2^-29: x, or x - x^2 / 2 from 2^-54 on; infinity and NaN: x + x.
  const __mmask16 tiny = _mm512_cmplt_epi32_mask(hx, _mm512_set1_epi32(0x31000000));
  const __mmask16 tinier = _mm512_cmplt_epi32_mask(hx, _mm512_set1_epi32(0x24800000));
  const __m512 square_term =
      _mm512_sub_ps(x, _mm512_mul_ps(_mm512_mul_ps(x, x), _mm512_set1_ps(0.5f)));
  y = _mm512_mask_blend_ps(tiny, y, _mm512_mask_blend_ps(tinier, square_term, x));
  const __mmask16 not_finite = _mm512_cmpge_epi32_mask(hx, _mm512_set1_epi32(0x7f800000));
  return _mm512_mask_blend_ps(not_finite, y, _mm512_add_ps(x, x));
}

// log(1 + e^x), as the scalar softplus: x itself above 20.
GRAM_AVX512 static inline __m512 softplus_avx512(__m512 x) {
  const __mmask16 above = _mm512_cmp_ps_mask(x, _mm512_set1_ps(20.0f), _CMP_GT_OQ);
  return _mm512_mask_blend_ps(above, log1pf_avx512(expf_avx512(x)), x);
}

}  // namespace gram::backend::simd
