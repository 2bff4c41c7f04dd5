#pragma once
// Per-element maths of the CUDA kernels, compiled for host and device.
//
// Every formula a kernel applies to one element (or one pair, or one key) lives here, so the
// host test suite (tests/kernels, label `cpu`) can check the exact code the GPU runs against the
// CPU backend on a machine without a GPU. Functions are written with float arithmetic in the
// same order as src/backend/cpu_backend.cpp; what differs between the backends is the summation
// order of reductions (RMSNorm, dot products, softmax totals) and SiLU's exp (below).
#include <cmath>
#include <cstdint>
#include <cstring>

#include "rng/philox_noise.h"  // GRAM_HOST_DEVICE, rng::normal4

namespace gram::kernels {

// x * sigmoid(x) with the platform's expf. Not the CPU backend's formula: that one is
// vector_math.h's fast_silu, whose polynomial exp is the same in every SIMD width but differs
// from expf in the last bits, so the two backends agree on SiLU within fp32 tolerance only.
GRAM_HOST_DEVICE inline float silu(float x) { return x / (1.0f + expf(-x)); }

// log(1 + e^x); on the host with libm_float.h's functions, as the CPU backend computes it.
GRAM_HOST_DEVICE inline float softplus(float x) {
#if defined(__CUDA_ARCH__)
  return x > 20.0f ? x : log1pf(expf(x));
#else
  return x > 20.0f ? x : rng::libm::log1pf(rng::libm::expf(x));
#endif
}

// sigma = min(sigma_min + softplus(sigma_pre), sigma_max); the GRAM prior's noise scale.
GRAM_HOST_DEVICE inline float noise_sigma(float sigma_pre, float sigma_min, float sigma_max) {
  return fminf(sigma_min + softplus(sigma_pre), sigma_max);
}

// h = u + mu + sigma * eps for one element.
GRAM_HOST_DEVICE inline float noise_element(float u, float mu, float sigma_pre, float eps,
                                            float sigma_min, float sigma_max) {
  return u + mu + noise_sigma(sigma_pre, sigma_min, sigma_max) * eps;
}

// The bf16 bits of x, rounded to nearest with ties to even (the rounding of the tensor cores'
// inputs and of __float2bfloat16_rn); NaN stays a quiet NaN of the same sign, infinities stay
// infinite. Bit arithmetic rather than the cuda_bf16.h intrinsics, so that the host test checks
// the conversion the bf16 products read.
GRAM_HOST_DEVICE inline std::uint16_t bf16_bits(float x) {
  std::uint32_t bits = 0;
  memcpy(&bits, &x, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
  const std::uint32_t lower = bits & 0xffffu;
  std::uint32_t upper = bits >> 16;
  if (lower > 0x8000u || (lower == 0x8000u && (upper & 1u) != 0)) ++upper;  // may carry to inf
  return static_cast<std::uint16_t>(upper);
}

// The float a bf16 pattern stands for (exact).
GRAM_HOST_DEVICE inline float bf16_value(std::uint16_t bits) {
  const std::uint32_t widened = static_cast<std::uint32_t>(bits) << 16;
  float value = 0.0f;
  memcpy(&value, &widened, sizeof value);
  return value;
}

// The Philox key of one row's transition (docs/model-format.md, "Noise").
GRAM_HOST_DEVICE inline rng::NoiseKey noise_key(std::uint64_t seed, std::uint32_t puzzle,
                                                std::uint32_t trajectory, std::uint32_t step,
                                                std::uint32_t transition) {
  rng::NoiseKey key;
  key.seed = seed;
  key.puzzle = puzzle;
  key.trajectory = trajectory;
  key.step = step;
  key.transition = transition;
  return key;
}

// Rotate-half RoPE of channel i of one head (head_dim = 2 * half): the pair (i, i + half) turns
// by the angle whose cosine and sine are cos_row[i mod half], sin_row[i mod half].
//   i <  half: x[i] cos - x[i + half] sin
//   i >= half: x[i] cos + x[i - half] sin
GRAM_HOST_DEVICE inline float rope_channel(const float* x, int i, int half, const float* cos_row,
                                           const float* sin_row) {
  if (i < half) return x[i] * cos_row[i] - x[i + half] * sin_row[i];
  const int j = i - half;
  return x[i] * cos_row[j] + x[j] * sin_row[j];
}

// Streaming ("online") softmax over keys seen in tiles: the running maximum and the running sum
// of exp(score - maximum). The attention kernel keeps one per query and rescales its output
// accumulator by `rescale` whenever a tile raises the maximum, so the result equals the
// two-pass softmax of the CPU backend up to rounding.
struct OnlineSoftmax {
  float maximum = -INFINITY;
  float total = 0.0f;

  // Folds in a tile whose largest score is `tile_maximum`; returns the factor by which earlier
  // weights (and the output accumulator) must be multiplied.
  GRAM_HOST_DEVICE float raise_maximum(float tile_maximum) {
    const float next = fmaxf(maximum, tile_maximum);
    const float rescale = maximum == -INFINITY ? 0.0f : expf(maximum - next);
    total *= rescale;
    maximum = next;
    return rescale;
  }
  // The unnormalised weight of one key after raise_maximum; the caller adds the tile's
  // weights to `total` (on the device, one warp sum per tile).
  GRAM_HOST_DEVICE float weight(float score) const { return expf(score - maximum); }
};

}  // namespace gram::kernels
