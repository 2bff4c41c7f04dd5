#pragma once
// sincosf, logf, expf and log1pf as glibc 2.36 computes them on x86-64 CPUs with FMA (the
// variants its ifuncs pick on every CPU with AVX2), bit for bit: the same algorithms, constants
// and roundings, a fused multiply-add exactly where that build fuses. The engine's transition
// noise (Box-Muller on Philox bits) and its softplus and softmax called the C library; through
// these they keep those bits, on every machine and glibc version, and the CPU backend's vector
// kernels (cpu_noise_avx512.cpp) can compute them 16 at a time.
//
// Algorithms and tables: Arm's optimized-routines (MIT licence, shipped in glibc) for expf,
// logf and sincosf; fdlibm (Sun Microsystems, freely redistributable with this notice) for
// log1pf. Checked against the C library over every float of the ranges the engine feeds them
// (tests/rng/libm_float_test.cpp samples them in every run).
//
// Host code only: a CUDA kernel draws its normals with the device's own functions
// (philox_noise.h), which can differ by an ulp.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace gram::rng::libm {

inline std::uint32_t bits(float x) {
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
inline float float_of(std::uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}
inline std::uint64_t bits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
inline double double_of(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// --- logf ------------------------------------------------------------------------------------
struct LogfEntry {
  double invc, logc;
};
// log(x) = log1p(z/c - 1) + log(c) + k ln2, c near the top 4 mantissa bits of x.
inline constexpr LogfEntry kLogfTable[16] = {
    {0x1.661ec79f8f3bep+0, -0x1.57bf7808caadep-2}, {0x1.571ed4aaf883dp+0, -0x1.2bef0a7c06ddbp-2},
    {0x1.49539f0f010b0p+0, -0x1.01eae7f513a67p-2}, {0x1.3c995b0b80385p+0, -0x1.b31d8a68224e9p-3},
    {0x1.30d190c8864a5p+0, -0x1.6574f0ac07758p-3}, {0x1.25e227b0b8ea0p+0, -0x1.1aa2bc79c8100p-3},
    {0x1.1bb4a4a1a343fp+0, -0x1.a4e76ce8c0e5ep-4}, {0x1.12358f08ae5bap+0, -0x1.1973c5a611cccp-4},
    {0x1.0953f419900a7p+0, -0x1.252f438e10c1ep-5}, {0x1.0000000000000p+0, 0x0.0p+0},
    {0x1.e608cfd9a47acp-1, 0x1.aa5aa5df25984p-5},  {0x1.ca4b31f026aa0p-1, 0x1.c5e53aa362eb4p-4},
    {0x1.b2036576afce6p-1, 0x1.526e57720db08p-3},  {0x1.9c2d163a1aa2dp-1, 0x1.bc2860d224770p-3},
    {0x1.886e6037841edp-1, 0x1.1058bc8a07ee1p-2},  {0x1.767dcf5534862p-1, 0x1.4043057b6ee09p-2},
};
inline constexpr double kLogfLn2 = 0x1.62e42fefa39efp-1;
inline constexpr double kLogfPoly[3] = {-0x1.00ea348b88334p-2, 0x1.5575b0be00b6ap-2,
                                        -0x1.ffffef20a4123p-2};

inline float logf(float x) {
  std::uint32_t ix = bits(x);
  if (ix == 0x3f800000u) return 0.0f;
  if (ix - 0x00800000u >= 0x7f800000u - 0x00800000u) {
    // Zero, negative, infinite, NaN: the IEEE answers, exact. Subnormal: scaled to normal.
    if (ix * 2 == 0 || (ix & 0x80000000u) != 0 || (ix & 0x7f800000u) == 0x7f800000u) {
      return std::log(x);
    }
    ix = bits(x * 0x1p23f) - (23u << 23);
  }
  const std::uint32_t tmp = ix - 0x3f330000u;
  const LogfEntry& entry = kLogfTable[(tmp >> 19) % 16];
  const auto k = static_cast<std::int32_t>(tmp) >> 23;  // arithmetic shift
  const double z = float_of(ix - (tmp & 0xff800000u));
  const double r = std::fma(z, entry.invc, -1.0);
  const double y0 = std::fma(static_cast<double>(k), kLogfLn2, entry.logc);
  const double r2 = r * r;
  double y = std::fma(r, kLogfPoly[1], kLogfPoly[2]);
  y = std::fma(r2, kLogfPoly[0], y);
  return static_cast<float>(std::fma(r2, y, y0 + r));
}

// --- sincosf ---------------------------------------------------------------------------------
struct SincosfTable {
  double sign[4];  // of the sine in quadrants 0..3
  double hpi_inv;  // 2/pi * 2^24
  double hpi;      // pi/2
  double c0, c1, s1, c2, s2, c3, s3, c4;
};
// [1] is used in quadrants 2 and 3: the cosine polynomial negated.
inline constexpr SincosfTable kSincosfTable[2] = {
    {{1.0, -1.0, -1.0, 1.0}, 0x1.45f306dc9c883p+23, 0x1.921fb54442d18p+0, 1.0,
     -0x1.ffffffd0c621cp-2, -0x1.555545995a603p-3, 0x1.55553e1068f19p-5, 0x1.1107605230bc4p-7,
     -0x1.6c087e89a359dp-10, -0x1.994eb3774cf24p-13, 0x1.99343027bf8c3p-16},
    {{1.0, -1.0, -1.0, 1.0}, 0x1.45f306dc9c883p+23, 0x1.921fb54442d18p+0, -1.0,
     0x1.ffffffd0c621cp-2, -0x1.555545995a603p-3, -0x1.55553e1068f19p-5, 0x1.1107605230bc4p-7,
     0x1.6c087e89a359dp-10, -0x1.994eb3774cf24p-13, -0x1.99343027bf8c3p-16},
};

// sin and cos of the reduced x (x2 = x * x) in quadrant n (odd n swaps them).
inline void sincosf_poly(double x, double x2, const SincosfTable& p, int n, float* sinp,
                         float* cosp) {
  const double x3 = x2 * x;
  const double x4 = x2 * x2;
  const double x5 = x3 * x2;
  const double x6 = x4 * x2;
  const double s1 = std::fma(x2, p.s3, p.s2);
  const double c2 = std::fma(x2, p.c4, p.c3);
  const double c1 = std::fma(x2, p.c1, p.c0);
  const double s = std::fma(x3, p.s1, x);
  const double c = std::fma(x4, p.c2, c1);
  const auto sine = static_cast<float>(std::fma(x5, s1, s));
  const auto cosine = static_cast<float>(std::fma(x6, c2, c));
  *sinp = (n & 1) != 0 ? cosine : sine;
  *cosp = (n & 1) != 0 ? sine : cosine;
}

// For |y| < 120 (the noise's angles are within pi); beyond, the C library's own answer.
inline void sincosf(float y, float* sinp, float* cosp) {
  const std::uint32_t top = (bits(y) >> 20) & 0x7ff;  // exponent and top mantissa bits
  const double x = y;
  if (top < 0x3f4) {  // |y| < pi/4 (roughly)
    if (top < 0x398) {  // |y| < 2^-12
      *sinp = y;
      *cosp = 1.0f;
      return;
    }
    sincosf_poly(x, x * x, kSincosfTable[0], 0, sinp, cosp);
    return;
  }
  if (top < 0x42f) {  // |y| < 120: one multiply-subtract reduces by the nearest n pi/2
    const auto n = (static_cast<std::int32_t>(x * kSincosfTable[0].hpi_inv) + 0x800000) >> 24;
    const double r = std::fma(-static_cast<double>(n), kSincosfTable[0].hpi, x);
    const double sign = kSincosfTable[0].sign[n & 3];
    sincosf_poly(r * sign, r * r, kSincosfTable[(n & 2) != 0 ? 1 : 0], n, sinp, cosp);
    return;
  }
  *sinp = std::sin(y);
  *cosp = std::cos(y);
}

// --- expf ------------------------------------------------------------------------------------
// 2^(i/32) as bits, less i << 47 (added back from the rounded exponent).
inline constexpr std::uint64_t kExpfTable[32] = {
    0x3ff0000000000000ull, 0x3fefd9b0d3158574ull, 0x3fefb5586cf9890full, 0x3fef9301d0125b51ull,
    0x3fef72b83c7d517bull, 0x3fef54873168b9aaull, 0x3fef387a6e756238ull, 0x3fef1e9df51fdee1ull,
    0x3fef06fe0a31b715ull, 0x3feef1a7373aa9cbull, 0x3feedea64c123422ull, 0x3feece086061892dull,
    0x3feebfdad5362a27ull, 0x3feeb42b569d4f82ull, 0x3feeab07dd485429ull, 0x3feea47eb03a5585ull,
    0x3feea09e667f3bcdull, 0x3fee9f75e8ec5f74ull, 0x3feea11473eb0187ull, 0x3feea589994cce13ull,
    0x3feeace5422aa0dbull, 0x3feeb737b0cdc5e5ull, 0x3feec49182a3f090ull, 0x3feed503b23e255dull,
    0x3feee89f995ad3adull, 0x3feeff76f2fb5e47ull, 0x3fef199bdd85529cull, 0x3fef3720dcef9069ull,
    0x3fef5818dcfba487ull, 0x3fef7c97337b9b5full, 0x3fefa4afa2a490daull, 0x3fefd0765b6e4540ull,
};
inline constexpr double kExpfInvLn2N = 0x1.71547652b82fep+5;  // 32 / ln 2
inline constexpr double kExpfShift = 0x1.8p+52;
inline constexpr double kExpfPoly[3] = {0x1.c6af84b912394p-20, 0x1.ebfce50fac4f3p-13,
                                        0x1.62e42ff0c52d6p-6};

inline float expf(float x) {
  if (((bits(x) >> 20) & 0x7ff) > 0x42a) {  // |x| >= 88, infinite or NaN
    if (bits(x) == 0xff800000u) return 0.0f;
    if (((bits(x) >> 20) & 0x7ff) > 0x7f7) return x + x;
    if (x > 0x1.62e42ep6f) return std::numeric_limits<float>::infinity();
    if (x < -0x1.9fe368p6f) return 0.0f;
    if (x < -0x1.9d1d9ep6f) return 0x1p-149f;  // glibc's (0x1.4p-75f)^2, rounded
  }
  const double xd = x;
  const double shifted = std::fma(kExpfInvLn2N, xd, kExpfShift);  // k + 1.5 * 2^52
  const std::uint64_t ki = bits(shifted);
  const double kd = shifted - kExpfShift;
  const double r = std::fma(kExpfInvLn2N, xd, -kd);
  const double s = double_of(kExpfTable[ki % 32] + (ki << 47));
  const double z = std::fma(r, kExpfPoly[0], kExpfPoly[1]);
  const double y = std::fma(z, r * r, std::fma(r, kExpfPoly[2], 1.0));
  return static_cast<float>(y * s);
}

// --- log1pf ----------------------------------------------------------------------------------
inline constexpr float kLog1pfLn2Hi = 6.9313812256e-01f;  // 0x3f317180
inline constexpr float kLog1pfLn2Lo = 9.0580006145e-06f;  // 0x3717f7d1
inline constexpr float kLog1pfPoly[7] = {6.6666668653e-01f, 4.0000000596e-01f, 2.8571429849e-01f,
                                         2.2222198546e-01f, 1.8183572590e-01f, 1.5313838422e-01f,
                                         1.4798198640e-01f};

inline float log1pf(float x) {
  const auto hx = static_cast<std::int32_t>(bits(x));
  const std::int32_t ax = hx & 0x7fffffff;
  std::int32_t k = 1;
  std::int32_t hu = 0;
  float f = 0.0f;
  float c = 0.0f;
  if (hx < 0x3ed413d7) {  // x < 0.41422
    if (ax >= 0x3f800000) return x == -1.0f ? -std::numeric_limits<float>::infinity()
                                            : std::numeric_limits<float>::quiet_NaN();
    if (ax < 0x31000000) {  // |x| < 2^-29
      if (ax < 0x24800000) return x;  // |x| < 2^-54
      return x - x * x * 0.5f;
    }
    if (hx > 0 || hx <= static_cast<std::int32_t>(0xbe95f61fu)) {  // -0.2929 < x < 0.41422
      k = 0;
      f = x;
      hu = 1;
    }
  } else if (hx >= 0x7f800000) {
    return x + x;
  }
  if (k != 0) {
    float u;
    if (hx < 0x5a000000) {
      u = 1.0f + x;
      hu = static_cast<std::int32_t>(bits(u));
      k = (hu >> 23) - 127;
      c = k > 0 ? 1.0f - (u - x) : x - (u - 1.0f);  // the rounding error of 1 + x
      c /= u;
    } else {
      u = x;
      hu = static_cast<std::int32_t>(bits(u));
      k = (hu >> 23) - 127;
      c = 0.0f;
    }
    hu &= 0x007fffff;
    if (hu < 0x3504f7) {
      u = float_of(static_cast<std::uint32_t>(hu) | 0x3f800000u);  // u in [1, sqrt 2)
    } else {
      k += 1;
      u = float_of(static_cast<std::uint32_t>(hu) | 0x3f000000u);  // u / 2
      hu = (0x00800000 - hu) >> 2;
    }
    f = u - 1.0f;
  }
  const float hfsq = 0.5f * f * f;
  const auto kf = static_cast<float>(k);
  if (hu == 0) {  // |f| < 2^-20
    if (f == 0.0f) return k == 0 ? 0.0f : kf * kLog1pfLn2Hi + (c + kf * kLog1pfLn2Lo);
    const float r = hfsq * (1.0f - 0.66666666666666666f * f);
    return k == 0 ? f - r : kf * kLog1pfLn2Hi - ((r - (kf * kLog1pfLn2Lo + c)) - f);
  }
  const float s = f / (2.0f + f);
  const float z = s * s;
  const float* p = kLog1pfPoly;
  const float r =
      z * (p[0] + z * (p[1] + z * (p[2] + z * (p[3] + z * (p[4] + z * (p[5] + z * p[6]))))));
  if (k == 0) return f - (hfsq - s * (hfsq + r));
  return kf * kLog1pfLn2Hi - ((hfsq - (s * (hfsq + r) + (kf * kLog1pfLn2Lo + c))) - f);
}

}  // namespace gram::rng::libm
