#pragma once
// fp32 -> bf16 conversion for the bf16 matrix products: cuBLAS reads bf16 operands only in
// pairs (A and B of one type), so with the weights stored as bf16 (converted once, at
// prepare_linear) each product converts its activations too. Host declarations only; device
// pointers; the rounding is kernels::bf16_bits (round to nearest even).
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace gram::kernels {

// out (rows, cols), packed = bf16 of in (rows, cols) whose rows are `in_stride` floats apart.
void launch_to_bf16(std::size_t rows, int cols, const float* in, std::size_t in_stride,
                    std::uint16_t* out, cudaStream_t stream);

}  // namespace gram::kernels
