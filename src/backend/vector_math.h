#pragma once
// exp for the CPU backend's elementwise passes, written so that the compiler vectorizes the
// loops that call it (the C library's expf is a scalar call, and was a third of a supervision
// step's time in SwiGLU). Cephes' single-precision scheme: x = n ln2 + r with |r| <= ln2/2
// (Cody-Waite split of ln2), a degree-7 polynomial for e^r, and 2^n built in the exponent bits.
// Relative error within 2 ulp of expf on [-87, 88]; inputs are clamped to that range, so
// e^x never overflows to inf nor goes denormal (silu and softplus need neither).
#include <algorithm>
#include <bit>
#include <cstdint>

namespace gram::backend {

inline float fast_exp(float x) {
  // Branch-free throughout (min/max, a rounding constant), so that the loops calling it
  // vectorize: a conditional here would stop the vectorizer ("control flow in loop").
  x = std::min(std::max(x, -87.0f), 88.0f);
  // n = round(x / ln2): adding 1.5 * 2^23 pushes the fraction out of the float's mantissa.
  constexpr float kRound = 12582912.0f;
  const float nf = (x * 1.44269504088896341f + kRound) - kRound;
  const float r = (x - nf * 0.693359375f) + nf * 2.12194440e-4f;  // x - n ln2 in two parts
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e_r = p * r * r + r + 1.0f;
  const auto n = static_cast<std::int32_t>(nf);
  return e_r * std::bit_cast<float>(static_cast<std::uint32_t>(n + 127) << 23);
}

inline float fast_silu(float x) { return x / (1.0f + fast_exp(-x)); }

}  // namespace gram::backend
