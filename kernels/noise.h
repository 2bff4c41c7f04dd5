#pragma once
// The GRAM transition noise on the device: h = u + mu + sigma(sigma_pre) * eps, in place on the
// (rows, positions, hidden) state, eps drawn with the Philox counter layout of
// src/rng/philox_noise.h (the same function the CPU backend calls, compiled for the device).
// Host declarations only; device pointers, `row_keys` included.
#include <cuda_runtime.h>

namespace gram::backend {
struct NoiseRow;     // backend/backend.h
struct NoiseParams;
}  // namespace gram::backend

namespace gram::kernels {

void launch_noise_step(int rows, int positions, int hidden, float* u_then_h, const float* mu,
                       const float* sigma_pre, const backend::NoiseRow* row_keys,
                       const backend::NoiseParams& params, cudaStream_t stream);

}  // namespace gram::kernels
