#pragma once
// The GRAM noise step on one row of the state, per instruction set:
//   h[i] = h[i] + mu[i] + min(sigma_min + softplus(sigma_pre[i]), sigma_max) * eps[i]
// eps drawn by Philox and Box-Muller from the row's key (rng/philox_noise.h), softplus with
// rng/libm_float.h's functions. The AVX-512 kernel computes 16 Philox calls (64 elements) at
// once; every kernel gives the same bits (tests/backend/noise_kernels_test.cpp).
#include <cstddef>

#include "rng/philox_noise.h"

namespace gram::backend::noise_detail {

struct NoiseRowArgs {
  rng::NoiseKey key;
  std::size_t count = 0;  // elements of the row: positions * hidden
  float* h = nullptr;     // u on entry, h on return
  const float* mu = nullptr;
  const float* sigma_pre = nullptr;
  float sigma_min = 0.0f;
  float sigma_max = 0.0f;
};

void noise_row_portable(const NoiseRowArgs& row);
void noise_row_avx512(const NoiseRowArgs& row);

}  // namespace gram::backend::noise_detail
