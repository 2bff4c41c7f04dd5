#include "elementwise.h"

#include "cuda_check.h"
#include "kernel_math.h"
#include "launch_common.cuh"
#include "util/error.h"

namespace gram::kernels {
namespace {

constexpr int kThreads = 256;

__global__ void add_kernel(std::size_t count, const float* a, const float* b, const float* c,
                           float* out) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
       i < count; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    // (a + b) + c, the CPU backend's order.
    out[i] = c != nullptr ? a[i] + b[i] + c[i] : a[i] + b[i];
  }
}

__global__ void silu_kernel(std::size_t count, float* x) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
       i < count; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    x[i] = silu(x[i]);
  }
}

__global__ void swiglu_kernel(std::size_t count, int hidden, const float* gate_up, float* out) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
       i < count; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t row = i / hidden;
    const std::size_t column = i % hidden;
    const float* gate = gate_up + row * 2 * hidden;  // (2 hidden): gate | up
    out[i] = silu(gate[column]) * gate[hidden + column];
  }
}

__global__ void broadcast_row_kernel(std::size_t count, int width, const float* row, float* out) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
       i < count; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    out[i] = row[i % width];
  }
}

}  // namespace

void launch_add(std::size_t count, const float* a, const float* b, const float* c, float* out,
                cudaStream_t stream) {
  if (count == 0) return;
  GRAM_ASSERT(a != nullptr && b != nullptr && out != nullptr, "add: null operand");
  add_kernel<<<grid_for(count, kThreads), kThreads, 0, stream>>>(count, a, b, c, out);
  CUDA_CHECK_LAUNCH();
}

void launch_silu(std::size_t count, float* x, cudaStream_t stream) {
  if (count == 0) return;
  GRAM_ASSERT(x != nullptr, "silu: null operand");
  silu_kernel<<<grid_for(count, kThreads), kThreads, 0, stream>>>(count, x);
  CUDA_CHECK_LAUNCH();
}

void launch_swiglu(int rows, int hidden, const float* gate_up, float* out, cudaStream_t stream) {
  GRAM_ASSERT(rows >= 0 && hidden > 0, "swiglu shapes");
  if (rows == 0) return;
  GRAM_ASSERT(gate_up != nullptr && out != nullptr, "swiglu: null operand");
  const std::size_t count = static_cast<std::size_t>(rows) * hidden;
  swiglu_kernel<<<grid_for(count, kThreads), kThreads, 0, stream>>>(count, hidden, gate_up, out);
  CUDA_CHECK_LAUNCH();
}

void launch_broadcast_row(int rows, int width, const float* row, float* out,
                          cudaStream_t stream) {
  GRAM_ASSERT(rows >= 0 && width > 0, "broadcast_row shapes");
  if (rows == 0) return;
  GRAM_ASSERT(row != nullptr && out != nullptr, "broadcast_row: null operand");
  const std::size_t count = static_cast<std::size_t>(rows) * width;
  broadcast_row_kernel<<<grid_for(count, kThreads), kThreads, 0, stream>>>(count, width, row, out);
  CUDA_CHECK_LAUNCH();
}

cudaError_t probe_kernel_image() {
  cudaFuncAttributes attributes;
  return cudaFuncGetAttributes(&attributes, add_kernel);
}

}  // namespace gram::kernels
