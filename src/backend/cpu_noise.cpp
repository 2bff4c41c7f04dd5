// The CPU backend's GRAM noise step (noise_kernels.h): rows spread over the threads, each row
// through the kernel of the backend's instruction set, or the portable one.
#include <algorithm>

#include "backend/cpu_backend.h"
#include "backend/noise_kernels.h"

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

}  // namespace gram::backend
