#include "rmsnorm.h"

#include <cstddef>

#include "cuda_check.h"
#include "launch_common.cuh"
#include "util/error.h"

namespace gram::kernels {
namespace {

constexpr int kWarpsPerBlock = 8;

// One warp per row. Rows are short (D = 64..1024 on the hidden axis, P+L <= ~1k on the
// sequence axis after the mlp_t mixer), so a warp covers a row in a few strided passes and
// needs no shared memory; the second pass re-reads the row from L1.
__global__ void add_rmsnorm_kernel(int rows, int width, float* x, const float* residual,
                                   float eps) {
  const int lane = threadIdx.x % kWarp;
  const std::size_t row =
      static_cast<std::size_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  if (row >= static_cast<std::size_t>(rows)) return;  // whole warps leave together
  float* values = x + row * width;                    // (width)
  const float* added = residual + row * width;        // (width)
  float sum_squares = 0.0f;
  for (int i = lane; i < width; i += kWarp) {
    const float value = values[i] + added[i];
    values[i] = value;
    sum_squares += value * value;
  }
  sum_squares = warp_sum(sum_squares);
  const float scale = 1.0f / sqrtf(sum_squares / static_cast<float>(width) + eps);
  for (int i = lane; i < width; i += kWarp) values[i] *= scale;
}

}  // namespace

void launch_add_rmsnorm(int rows, int width, float* x, const float* residual, float eps,
                        cudaStream_t stream) {
  GRAM_ASSERT(rows >= 0 && width > 0 && eps > 0, "add_rmsnorm shapes");
  if (rows == 0) return;
  GRAM_ASSERT(x != nullptr && residual != nullptr, "add_rmsnorm: null operand");
  const unsigned blocks = static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
  add_rmsnorm_kernel<<<blocks, kWarpsPerBlock * kWarp, 0, stream>>>(rows, width, x, residual, eps);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gram::kernels
