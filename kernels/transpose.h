#pragma once
// Batched transpose for the mlp_t mixer: per batch item, (rows, cols) -> (cols, rows).
// Host declarations only; device pointers; `in` and `out` must not overlap.
#include <cuda_runtime.h>

namespace gram::kernels {

void launch_transpose(int batch, int rows, int cols, const float* in, float* out,
                      cudaStream_t stream);

}  // namespace gram::kernels
