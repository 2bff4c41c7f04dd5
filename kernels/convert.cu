#include "convert.h"

#include "cuda_check.h"
#include "kernel_math.h"
#include "launch_common.cuh"
#include "util/error.h"

namespace gram::kernels {
namespace {

constexpr int kThreads = 256;

__global__ void to_bf16_kernel(std::size_t count, int cols, const float* in,
                               std::size_t in_stride, std::uint16_t* out) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
       i < count; i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t row = i / cols;
    const std::size_t column = i % cols;
    out[i] = bf16_bits(in[row * in_stride + column]);
  }
}

}  // namespace

void launch_to_bf16(std::size_t rows, int cols, const float* in, std::size_t in_stride,
                    std::uint16_t* out, cudaStream_t stream) {
  GRAM_ASSERT(cols > 0 && in_stride >= static_cast<std::size_t>(cols), "to_bf16 shapes");
  const std::size_t count = rows * static_cast<std::size_t>(cols);
  if (count == 0) return;
  GRAM_ASSERT(in != nullptr && out != nullptr, "to_bf16: null operand");
  to_bf16_kernel<<<grid_for(count, kThreads), kThreads, 0, stream>>>(count, cols, in, in_stride,
                                                                     out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gram::kernels
