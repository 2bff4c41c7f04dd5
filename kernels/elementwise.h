#pragma once
// Elementwise launchers: residual sums, SiLU, SwiGLU, bias rows, and the kernel-image probe.
// Host declarations only; every launcher checks its arguments, runs on `stream` and checks the
// launch. Pointers are device memory.
#include <cuda_runtime.h>

#include <cstddef>

namespace gram::kernels {

// out = a + b (+ c when c is not null); out may alias a or b.
void launch_add(std::size_t count, const float* a, const float* b, const float* c, float* out,
                cudaStream_t stream);
// x = silu(x).
void launch_silu(std::size_t count, float* x, cudaStream_t stream);
// out (rows, hidden) = silu(gate_up[:, :hidden]) * gate_up[:, hidden:], gate_up (rows, 2 hidden).
void launch_swiglu(int rows, int hidden, const float* gate_up, float* out, cudaStream_t stream);
// out (rows, width) = `row` (width) repeated: the bias term of a linear layer before its GEMM.
void launch_broadcast_row(int rows, int width, const float* row, float* out, cudaStream_t stream);

// cudaSuccess when this binary holds code the current device can run, otherwise the error
// (cudaErrorNoKernelImageForDevice on a GPU older than the built architectures).
cudaError_t probe_kernel_image();

}  // namespace gram::kernels
