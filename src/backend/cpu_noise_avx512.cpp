// The noise step's AVX-512 kernel (noise_kernels.h): 16 Philox4x32-10 calls at once (the
// groups of 64 consecutive elements), Box-Muller and softplus through simd_libm_avx512.h, all
// with the scalar path's operations lane by lane, so that the normals keep their bits.
#include <immintrin.h>

#include <cstdint>

#include "backend/noise_kernels.h"
#include "backend/simd_libm_avx512.h"

namespace gram::backend::noise_detail {
namespace {

// Philox4x32-10 (Random123's constants) on the counters
// {group + lane, (step << 8) | transition, trajectory, puzzle} of lanes 0..15.
struct PhiloxWords {
  __m512i word[4];
};

// lo, hi of the 32 x 32 -> 64-bit products a * m, lane by lane.
GRAM_AVX512 inline void mulhilo(__m512i a, __m512i m, __m512i& lo, __m512i& hi) {
  const __m512i even = _mm512_mul_epu32(a, m);                         // lanes 0, 2, ...
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);  // lanes 1, 3, ...
  constexpr __mmask16 kOddLanes = 0xAAAA;
  lo = _mm512_mask_blend_epi32(kOddLanes, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(kOddLanes, _mm512_srli_epi64(even, 32), odd);
}

GRAM_AVX512 PhiloxWords philox16(const rng::NoiseKey& key, std::uint32_t first_group) {
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512i c0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first_group)), lanes);
  __m512i c1 = _mm512_set1_epi32(static_cast<int>((key.step << 8) | key.transition));
  __m512i c2 = _mm512_set1_epi32(static_cast<int>(key.trajectory));
  __m512i c3 = _mm512_set1_epi32(static_cast<int>(key.puzzle));
  auto k0 = static_cast<std::uint32_t>(key.seed);
  auto k1 = static_cast<std::uint32_t>(key.seed >> 32);
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {  // the key is bumped before every round but the first
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    __m512i lo0, hi0, lo1, hi1;
    mulhilo(c0, m0, lo0, hi0);
    mulhilo(c2, m1, lo1, hi1);
    const __m512i next0 =
        _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32(static_cast<int>(k0)));
    const __m512i next2 =
        _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32(static_cast<int>(k1)));
    c0 = next0;
    c1 = lo1;
    c2 = next2;
    c3 = lo0;
  }
  return {{c0, c1, c2, c3}};
}

// r123::boxmuller(u0, u1) of 16 pairs: sin and cos of pi x, times sqrt(-2 log y)
// (rng/philox_noise.h's host_boxmuller, operation for operation).
GRAM_AVX512 void boxmuller16(__m512i u0, __m512i u1, __m512& first, __m512& second) {
  const __m512 x = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(u0), _mm512_set1_ps(0x1p-31f)),
                                 _mm512_set1_ps(0x1p-32f));
  const __m512 y = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepu32_ps(u1), _mm512_set1_ps(0x1p-32f)),
                                 _mm512_set1_ps(0x1p-33f));
  __m512 sine, cosine;
  simd::sincosf_avx512(_mm512_mul_ps(_mm512_set1_ps(3.1415926535897932f), x), sine, cosine);
  const __m512 radius =
      _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), simd::logf_avx512(y)));
  first = _mm512_mul_ps(sine, radius);
  second = _mm512_mul_ps(cosine, radius);
}

// The 64-bit pairs of a and b, the low or the high ones of each 128-bit lane. A function of its
// own, not a lambda: a lambda does not inherit GRAM_AVX512, and __m512 arguments passed to code
// built without AVX-512 change the calling convention (clang refuses it, or reads garbage).
GRAM_AVX512 inline __m512 pairs(__m512 a, __m512 b, bool high) {
  const __m512d da = _mm512_castps_pd(a);
  const __m512d db = _mm512_castps_pd(b);
  return _mm512_castpd_ps(high ? _mm512_unpackhi_pd(da, db) : _mm512_unpacklo_pd(da, db));
}

// The 64 normals of 16 groups in element order: group g's four (n[0..3][g]) at 4g..4g+3.
GRAM_AVX512 void element_order(const __m512 n[4], __m512 eps[4]) {
  // Within each 128-bit lane L: the 4 normals of groups 4L, 4L+1, 4L+2, 4L+3 ...
  const __m512 lo01 = _mm512_unpacklo_ps(n[0], n[1]);
  const __m512 hi01 = _mm512_unpackhi_ps(n[0], n[1]);
  const __m512 lo23 = _mm512_unpacklo_ps(n[2], n[3]);
  const __m512 hi23 = _mm512_unpackhi_ps(n[2], n[3]);
  const __m512 g0 = pairs(lo01, lo23, false);  // groups 0, 4, 8, 12 (one per 128-bit lane)
  const __m512 g1 = pairs(lo01, lo23, true);   // groups 1, 5, 9, 13
  const __m512 g2 = pairs(hi01, hi23, false);  // groups 2, 6, 10, 14
  const __m512 g3 = pairs(hi01, hi23, true);   // groups 3, 7, 11, 15
  // ... then a 4 x 4 transpose of 128-bit lanes.
  const __m512 t0 = _mm512_shuffle_f32x4(g0, g1, 0x44);  // 0, 4, 1, 5
  const __m512 t1 = _mm512_shuffle_f32x4(g0, g1, 0xEE);  // 8, 12, 9, 13
  const __m512 t2 = _mm512_shuffle_f32x4(g2, g3, 0x44);  // 2, 6, 3, 7
  const __m512 t3 = _mm512_shuffle_f32x4(g2, g3, 0xEE);  // 10, 14, 11, 15
  eps[0] = _mm512_shuffle_f32x4(t0, t2, 0x88);  // 0, 1, 2, 3
  eps[1] = _mm512_shuffle_f32x4(t0, t2, 0xDD);  // 4, 5, 6, 7
  eps[2] = _mm512_shuffle_f32x4(t1, t3, 0x88);  // 8, 9, 10, 11
  eps[3] = _mm512_shuffle_f32x4(t1, t3, 0xDD);  // 12, 13, 14, 15
}

}  // namespace

GRAM_AVX512 void noise_row_avx512(const NoiseRowArgs& row) {
  const __m512 sigma_min = _mm512_set1_ps(row.sigma_min);
  const __m512 sigma_max = _mm512_set1_ps(row.sigma_max);
  for (std::size_t first = 0; first < row.count; first += 64) {
    const PhiloxWords words = philox16(row.key, static_cast<std::uint32_t>(first / 4));
    __m512 normals[4];
    boxmuller16(words.word[0], words.word[1], normals[0], normals[1]);
    boxmuller16(words.word[2], words.word[3], normals[2], normals[3]);
    __m512 eps[4];
    element_order(normals, eps);
    for (int part = 0; part < 4; ++part) {
      const std::size_t at = first + 16 * static_cast<std::size_t>(part);
      if (at >= row.count) break;
      const std::size_t left = row.count - at;
      const auto mask = static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1u);
      const __m512 pre = _mm512_maskz_loadu_ps(mask, row.sigma_pre + at);
      // std::min(sigma_min + softplus, sigma_max) is vminps with sigma_max first.
      const __m512 sigma =
          _mm512_min_ps(sigma_max, _mm512_add_ps(sigma_min, simd::softplus_avx512(pre)));
      const __m512 h = _mm512_add_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(mask, row.h + at),
                                                   _mm512_maskz_loadu_ps(mask, row.mu + at)),
                                     _mm512_mul_ps(sigma, eps[part]));
      _mm512_mask_storeu_ps(row.h + at, mask, h);
    }
  }
}

}  // namespace gram::backend::noise_detail
