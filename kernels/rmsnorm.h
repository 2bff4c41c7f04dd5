#pragma once
// Parameter-free RMSNorm fused with the residual add of a post-norm block:
// x = rms(x + residual) over rows of `width`, rms(v) = v / sqrt(mean(v^2) + eps).
// Host declarations only; device pointers; runs on `stream`.
#include <cuda_runtime.h>

namespace gram::kernels {

void launch_add_rmsnorm(int rows, int width, float* x, const float* residual, float eps,
                        cudaStream_t stream);

}  // namespace gram::kernels
