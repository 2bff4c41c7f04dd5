#include "noise.h"

#include <cstddef>
#include <cstdint>

#include "backend/backend.h"
#include "cuda_check.h"
#include "kernel_math.h"
#include "launch_common.cuh"
#include "util/error.h"

namespace gram::kernels {
namespace {

constexpr int kThreads = 256;

// One thread per Philox call: four consecutive elements of one row's state.
__global__ void noise_step_kernel(int rows, std::size_t per_row, std::uint32_t groups,
                                  float* u_then_h, const float* mu, const float* sigma_pre,
                                  const backend::NoiseRow* row_keys, backend::NoiseParams params) {
  const std::size_t total = static_cast<std::size_t>(rows) * groups;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
       i < total; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t row = i / groups;
    const auto group = static_cast<std::uint32_t>(i % groups);
    const backend::NoiseRow identity = row_keys[row];
    const rng::NoiseKey key = noise_key(params.seed, identity.puzzle, identity.trajectory,
                                        identity.step, params.transition);
    float eps[4];
    rng::normal4(key, group, eps);
    for (int lane = 0; lane < 4; ++lane) {
      const std::size_t element = static_cast<std::size_t>(group) * 4 + lane;
      if (element >= per_row) break;
      const std::size_t index = row * per_row + element;
      u_then_h[index] = noise_element(u_then_h[index], mu[index], sigma_pre[index], eps[lane],
                                      params.sigma_min, params.sigma_max);
    }
  }
}

}  // namespace

void launch_noise_step(int rows, int positions, int hidden, float* u_then_h, const float* mu,
                       const float* sigma_pre, const backend::NoiseRow* row_keys,
                       const backend::NoiseParams& params, cudaStream_t stream) {
  GRAM_ASSERT(rows >= 0 && positions > 0 && hidden > 0, "noise_step shapes");
  GRAM_ASSERT(params.transition < 256, "noise_step: transition must stay below 256");
  GRAM_ASSERT(params.sigma_min > 0 && params.sigma_min <= params.sigma_max,
              "noise_step: 0 < sigma_min <= sigma_max");
  if (rows == 0) return;
  GRAM_ASSERT(u_then_h != nullptr && mu != nullptr && sigma_pre != nullptr && row_keys != nullptr,
              "noise_step: null operand");
  const std::size_t per_row = static_cast<std::size_t>(positions) * hidden;
  GRAM_ASSERT(per_row / 4 < (std::size_t{1} << 32), "noise_step: row too large for the counter");
  const auto groups = static_cast<std::uint32_t>((per_row + 3) / 4);
  const std::size_t total = static_cast<std::size_t>(rows) * groups;
  noise_step_kernel<<<grid_for(total, kThreads), kThreads, 0, stream>>>(
      rows, per_row, groups, u_then_h, mu, sigma_pre, row_keys, params);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gram::kernels
