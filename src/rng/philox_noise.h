#pragma once
// The GRAM transition noise eps ~ N(0, 1), keyed by what a trajectory *is*, never by where it
// runs (science.md s5): the same (seed, puzzle, trajectory, step, transition, element) gives
// the same bits on any rank, at any batch size or slot, on the CPU or the GPU.
//
// Counter layout for Philox4x32-10 (Random123), documented in docs/model-format.md:
//   key     = { seed bits 0..31, seed bits 32..63 }
//   counter = { element / 4, (step << 8) | transition, trajectory, puzzle }
//   element = position * hidden_size + channel   (row-major over the (P+L, D) state)
// One Philox call gives four 32-bit words r0..r3; Box-Muller turns (r0, r1) into the normals of
// elements 4g and 4g+1 and (r2, r3) into those of 4g+2 and 4g+3 (r123::boxmuller's formula).
// Steps and transitions count from 0. The header compiles for host and device, so both
// backends draw identical bits; the host takes sincos and log from libm_float.h (glibc's
// results, independent of the machine's C library), the device from CUDA, so normals can
// differ by an ulp between the two.
#include <cmath>
#include <cstdint>

#include <Random123/boxmuller.hpp>
#include <Random123/philox.h>

#include "rng/libm_float.h"
#include "util/host_device.h"

namespace gram::rng {

// Identity of one transition of one trajectory.
struct NoiseKey {
  std::uint64_t seed = 0;
  std::uint32_t puzzle = 0;      // global puzzle index in the puzzle file
  std::uint32_t trajectory = 0;  // 0..width-1
  std::uint32_t step = 0;        // supervision step, from 0 (must stay below 2^24)
  std::uint32_t transition = 0;  // H cycle within the step, from 0 (below 256)
};

#if !defined(__CUDA_ARCH__)
// r123::boxmuller(u0, u1) on the host: (sin, cos)(pi x) * sqrt(-2 log y) with x uniform in
// (-1, 1) and y in (0, 1] as Random123 maps the words, sincos and log from libm_float.h. The
// vector kernel of the CPU backend (cpu_noise_avx512.cpp) computes the same operations.
inline void host_boxmuller(std::uint32_t u0, std::uint32_t u1, float out[2]) {
  const float x = static_cast<float>(static_cast<std::int32_t>(u0)) * 0x1p-31f + 0x1p-32f;
  const float y = static_cast<float>(u1) * 0x1p-32f + 0x1p-33f;
  float sine, cosine;
  libm::sincosf(3.1415926535897932f * x, &sine, &cosine);
  const float radius = std::sqrt(-2.0f * libm::logf(y));
  out[0] = sine * radius;
  out[1] = cosine * radius;
}
#endif

// The four normals of one Philox call: Box-Muller on (r0, r1) and on (r2, r3). GRAM's noise
// and the samplers' (rng/sampler_stream.h) both go through here, so both take the host's
// sincos and log from libm_float.h and the device's from CUDA.
GRAM_HOST_DEVICE inline void boxmuller4(const r123::Philox4x32::ctr_type& bits, float out[4]) {
#if defined(__CUDA_ARCH__)
  r123::float2 first = r123::boxmuller(bits.v[0], bits.v[1]);
  r123::float2 second = r123::boxmuller(bits.v[2], bits.v[3]);
  out[0] = first.x;
  out[1] = first.y;
  out[2] = second.x;
  out[3] = second.y;
#else
  host_boxmuller(bits.v[0], bits.v[1], out);
  host_boxmuller(bits.v[2], bits.v[3], out + 2);
#endif
}

// Four consecutive normals: eps[4*group .. 4*group+3] of the transition named by `key`.
GRAM_HOST_DEVICE inline void normal4(const NoiseKey& key, std::uint32_t group, float out[4]) {
  r123::Philox4x32 generator;
  r123::Philox4x32::key_type philox_key = {
      {static_cast<std::uint32_t>(key.seed), static_cast<std::uint32_t>(key.seed >> 32)}};
  r123::Philox4x32::ctr_type counter = {
      {group, (key.step << 8) | key.transition, key.trajectory, key.puzzle}};
  boxmuller4(generator(counter, philox_key), out);
}

}  // namespace gram::rng
