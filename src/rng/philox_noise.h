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
// elements 4g and 4g+1 and (r2, r3) into those of 4g+2 and 4g+3 (r123::boxmuller). Steps and
// transitions count from 0. The header compiles for host and device, so both backends draw
// identical bits; normals can differ by an ulp where the device's logf/sincospif do.
#include <cstdint>

#include <Random123/boxmuller.hpp>
#include <Random123/philox.h>

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

// Four consecutive normals: eps[4*group .. 4*group+3] of the transition named by `key`.
GRAM_HOST_DEVICE inline void normal4(const NoiseKey& key, std::uint32_t group, float out[4]) {
  r123::Philox4x32 generator;
  r123::Philox4x32::key_type philox_key = {
      {static_cast<std::uint32_t>(key.seed), static_cast<std::uint32_t>(key.seed >> 32)}};
  r123::Philox4x32::ctr_type counter = {
      {group, (key.step << 8) | key.transition, key.trajectory, key.puzzle}};
  r123::Philox4x32::ctr_type bits = generator(counter, philox_key);
  r123::float2 first = r123::boxmuller(bits.v[0], bits.v[1]);
  r123::float2 second = r123::boxmuller(bits.v[2], bits.v[3]);
  out[0] = first.x;
  out[1] = first.y;
  out[2] = second.x;
  out[3] = second.y;
}

}  // namespace gram::rng
