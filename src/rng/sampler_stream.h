#pragma once
// The samplers' random draws (injected Gaussian noise and dropout masks, engine/sampler.h), on
// Philox counters of their own: keyed by what a trajectory is, exactly like GRAM's transition
// noise (rng/philox_noise.h), so they keep every determinism guarantee, but never on a counter
// GRAM's noise uses, so adding a sampler to a GRAM model leaves the prior's eps bit for bit.
//
// Counter layout for Philox4x32-10, documented in docs/model-format.md ("Samplers"):
//   key     = { seed bits 0..31, seed bits 32..63 }                    (GRAM's key)
//   counter = { (site << 20) | element / 4, (step << 8) | transition, trajectory, puzzle }
// `site` (1..4095) names the draw point inside a transition (sampler_site); GRAM's noise is
// site 0, since its first word is element / 4 < 2^20 on every row a sampler accepts
// (at most kSamplerMaxRowElements = 2^22 elements). One Philox call gives four words r0..r3:
// noise turns them into four normals as GRAM does (r123::boxmuller on (r0, r1) and (r2, r3)),
// dropout compares each word with a threshold (elements 4g .. 4g+3 take r0 .. r3).
#include <cstddef>
#include <cstdint>

#include "rng/philox_noise.h"

namespace gram::rng {

constexpr std::uint32_t kSamplerGroupBits = 20;
constexpr std::uint32_t kSamplerMaxSite = (1u << (32 - kSamplerGroupBits)) - 1;  // 4095
constexpr std::size_t kSamplerMaxRowElements = std::size_t{4} << kSamplerGroupBits;

// The draw point of one sampler inside a transition. Application a = 0..K-1 is the a-th L
// update, a = K the H update; slot 0 is the noise added after that application, slot
// 1 + 2 * layer + s the dropout mask of the network's layer `layer` at site s (0: the mixer's
// output, 1: the FFN's output). Sites start at 1 and never repeat within a transition.
GRAM_HOST_DEVICE constexpr std::uint32_t sampler_site(int application, int slot, int num_layers) {
  return 1u + static_cast<std::uint32_t>(application) * (1u + 2u * num_layers) +
         static_cast<std::uint32_t>(slot);
}

// The four Philox words of group `group` (elements 4 group .. 4 group + 3) at `site`.
GRAM_HOST_DEVICE inline r123::Philox4x32::ctr_type sampler_words(const NoiseKey& key,
                                                                 std::uint32_t site,
                                                                 std::uint32_t group) {
  r123::Philox4x32 generator;
  r123::Philox4x32::key_type philox_key = {
      {static_cast<std::uint32_t>(key.seed), static_cast<std::uint32_t>(key.seed >> 32)}};
  r123::Philox4x32::ctr_type counter = {{(site << kSamplerGroupBits) | group,
                                         (key.step << 8) | key.transition, key.trajectory,
                                         key.puzzle}};
  return generator(counter, philox_key);
}

// Four normals of the sampler stream, Box-Muller as normal4 (GRAM's) does.
GRAM_HOST_DEVICE inline void sampler_normal4(const NoiseKey& key, std::uint32_t site,
                                             std::uint32_t group, float out[4]) {
  boxmuller4(sampler_words(key, site, group), out);
}

}  // namespace gram::rng
