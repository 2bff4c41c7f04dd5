// The CPU backend's GRAM noise step (noise_kernels.h): rows spread over the threads, each row
// through the kernel of the backend's instruction set, or the portable one. Also the samplers'
// injected noise and dropout (sampler_math.h), the functions the CUDA kernels run.
#include <algorithm>

#include "backend/cpu_backend.h"
#include "backend/noise_kernels.h"
#include "backend/sampler_math.h"
#include "util/error.h"

namespace gram::backend {
namespace noise_detail {

void noise_row_portable(const NoiseRowArgs& row) {
  const auto groups = static_cast<std::uint32_t>((row.count + 3) / 4);
  for (std::uint32_t group = 0; group < groups; ++group) {
    float eps[4];
    rng::normal4(row.key, group, eps);
    for (std::size_t lane = 0; lane < 4; ++lane) {
      const std::size_t index = static_cast<std::size_t>(group) * 4 + lane;
      if (index >= row.count) break;
      const float pre = row.sigma_pre[index];
      const float softplus = pre > 20.0f ? pre : rng::libm::log1pf(rng::libm::expf(pre));
      const float sigma = std::min(row.sigma_min + softplus, row.sigma_max);
      row.h[index] = row.h[index] + row.mu[index] + sigma * eps[lane];
    }
  }
}

}  // namespace noise_detail

void CpuBackend::noise_step(int rows, int positions, int hidden, float* u_then_h,
                            const float* mu, const float* sigma_pre, const NoiseRow* row_keys,
                            const NoiseParams& params) {
  const std::size_t per_row = static_cast<std::size_t>(positions) * hidden;
  const auto kernel = kernel_ == GemmKernel::kAvx512 ? noise_detail::noise_row_avx512
                                                     : noise_detail::noise_row_portable;
  parallel_rows(pool_, rows, per_row, [&](int first, int last) {
    for (int row = first; row < last; ++row) {
      noise_detail::NoiseRowArgs args;
      args.key.seed = params.seed;
      args.key.puzzle = row_keys[row].puzzle;
      args.key.trajectory = row_keys[row].trajectory;
      args.key.step = row_keys[row].step;
      args.key.transition = params.transition;
      const std::size_t offset = static_cast<std::size_t>(row) * per_row;
      args.count = per_row;
      args.h = u_then_h + offset;
      args.mu = mu + offset;
      args.sigma_pre = sigma_pre + offset;
      args.sigma_min = params.sigma_min;
      args.sigma_max = params.sigma_max;
      kernel(args);
    }
  });
}

rng::NoiseKey sampler_key(const SamplerDraw& draw, const NoiseRow& row) {
  rng::NoiseKey key;
  key.seed = draw.seed;
  key.puzzle = row.puzzle;
  key.trajectory = row.trajectory;
  key.step = row.step;
  key.transition = draw.transition;
  return key;
}

// One position at a time: its RMS is its own loop over its channels (sampler_math.h).
void CpuBackend::inject_noise(int rows, int positions, int hidden, float* x,
                              const NoiseRow* row_keys, const InjectedNoise& noise) {
  GRAM_ASSERT(positions > 0 && hidden > 0, "inject_noise shapes");
  const std::size_t per_row = static_cast<std::size_t>(positions) * hidden;
  parallel_rows(pool_, rows, per_row, [&](int first, int last) {
    for (int row = first; row < last; ++row) {
      const rng::NoiseKey key = sampler_key(noise.draw, row_keys[row]);
      for (int position = 0; position < positions; ++position) {
        const std::size_t element = static_cast<std::size_t>(position) * hidden;
        inject_noise_position(x + static_cast<std::size_t>(row) * per_row + element, element,
                              hidden, key, noise.draw.site, noise.scale, noise.relative);
      }
    }
  });
}

void CpuBackend::dropout(int rows, std::size_t per_row, float* x, const NoiseRow* row_keys,
                         const DropoutMask& mask) {
  const auto groups = static_cast<std::uint32_t>((per_row + 3) / 4);
  parallel_rows(pool_, rows, per_row, [&](int first, int last) {
    for (int row = first; row < last; ++row) {
      const rng::NoiseKey key = sampler_key(mask.draw, row_keys[row]);
      float* values = x + static_cast<std::size_t>(row) * per_row;
      for (std::uint32_t group = 0; group < groups; ++group) {
        dropout_group(values, per_row, group, key, mask.draw.site, mask.drop_below,
                      mask.keep_scale);
      }
    }
  });
}

}  // namespace gram::backend
