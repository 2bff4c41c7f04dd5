#pragma once
// The samplers on the device (engine/sampler.h): injected Gaussian noise on the state and
// dropout masks on a network's sublayer outputs, both drawn from the samplers' own Philox
// stream (src/rng/sampler_stream.h) with the per-position and per-group code the CPU backend
// runs (src/backend/sampler_math.h), compiled for the device. Host declarations only; device
// pointers, `row_keys` included.
#include <cuda_runtime.h>

#include <cstddef>

namespace gram::backend {
struct NoiseRow;  // backend/backend.h
struct InjectedNoise;
struct DropoutMask;
}  // namespace gram::backend

namespace gram::kernels {

// In place on the (rows, positions, hidden) state x: one thread per position, whose RMS (the
// relative mode's) is its own sequential loop over its channels, as on the CPU.
void launch_inject_noise(int rows, int positions, int hidden, float* x,
                         const backend::NoiseRow* row_keys, const backend::InjectedNoise& noise,
                         cudaStream_t stream);

// In place on `rows` trajectories of `per_row` elements: one thread per Philox call (four
// consecutive elements of one row).
void launch_dropout(int rows, std::size_t per_row, float* x, const backend::NoiseRow* row_keys,
                    const backend::DropoutMask& mask, cudaStream_t stream);

}  // namespace gram::kernels
