#include "sampler.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "backend/backend.h"
#include "backend/sampler_math.h"
#include "cuda_check.h"
#include "launch_common.cuh"
#include "util/error.h"

namespace gram::kernels {
namespace {

constexpr int kThreads = 256;

__device__ inline rng::NoiseKey row_key(const backend::SamplerDraw& draw,
                                        const backend::NoiseRow& row) {
  rng::NoiseKey key;
  key.seed = draw.seed;
  key.puzzle = row.puzzle;
  key.trajectory = row.trajectory;
  key.step = row.step;
  key.transition = draw.transition;
  return key;
}

// A position's channels are read by one thread in order (uncoalesced across the warp): the
// price of an RMS whose summation order is the CPU's. The kernel runs once per transition on a
// few MB of state, next to GEMMs that read it many times over.
__global__ void inject_noise_kernel(int rows, int positions, int hidden, float* x,
                                    const backend::NoiseRow* row_keys,
                                    backend::InjectedNoise noise) {
  const std::size_t total = static_cast<std::size_t>(rows) * positions;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t row = i / positions;
    const std::size_t position = i % positions;
    const std::size_t first = position * hidden;
    backend::inject_noise_position(x + i * hidden, first, hidden,
                                   row_key(noise.draw, row_keys[row]), noise.draw.site,
                                   noise.scale, noise.relative);
  }
}

__global__ void dropout_kernel(int rows, std::size_t per_row, std::uint32_t groups, float* x,
                               const backend::NoiseRow* row_keys, backend::DropoutMask mask) {
  const std::size_t total = static_cast<std::size_t>(rows) * groups;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t row = i / groups;
    const auto group = static_cast<std::uint32_t>(i % groups);
    backend::dropout_group(x + row * per_row, per_row, group, row_key(mask.draw, row_keys[row]),
                           mask.draw.site, mask.drop_below, mask.keep_scale);
  }
}

void check_draw(const backend::SamplerDraw& draw, std::size_t per_row, const char* what) {
  GRAM_ASSERT(draw.site >= 1 && draw.site <= rng::kSamplerMaxSite,
              std::string(what) + ": site outside 1..4095");
  GRAM_ASSERT(draw.transition < 256, std::string(what) + ": transition must stay below 256");
  GRAM_ASSERT(per_row <= rng::kSamplerMaxRowElements,
              std::string(what) + ": a row holds more than 2^22 elements");
}

}  // namespace

void launch_inject_noise(int rows, int positions, int hidden, float* x,
                         const backend::NoiseRow* row_keys, const backend::InjectedNoise& noise,
                         cudaStream_t stream) {
  GRAM_ASSERT(rows >= 0 && positions > 0 && hidden > 0, "inject_noise shapes");
  check_draw(noise.draw, static_cast<std::size_t>(positions) * hidden, "inject_noise");
  if (rows == 0) return;
  GRAM_ASSERT(x != nullptr && row_keys != nullptr, "inject_noise: null operand");
  const std::size_t total = static_cast<std::size_t>(rows) * positions;
  inject_noise_kernel<<<grid_for(total, kThreads), kThreads, 0, stream>>>(rows, positions, hidden,
                                                                          x, row_keys, noise);
  CUDA_CHECK_LAUNCH();
}

void launch_dropout(int rows, std::size_t per_row, float* x, const backend::NoiseRow* row_keys,
                    const backend::DropoutMask& mask, cudaStream_t stream) {
  GRAM_ASSERT(rows >= 0 && per_row > 0, "dropout shapes");
  check_draw(mask.draw, per_row, "dropout");
  if (rows == 0) return;
  GRAM_ASSERT(x != nullptr && row_keys != nullptr, "dropout: null operand");
  const auto groups = static_cast<std::uint32_t>((per_row + 3) / 4);
  const std::size_t total = static_cast<std::size_t>(rows) * groups;
  dropout_kernel<<<grid_for(total, kThreads), kThreads, 0, stream>>>(rows, per_row, groups, x,
                                                                     row_keys, mask);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gram::kernels
