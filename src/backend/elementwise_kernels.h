#pragma once
// SiLU and SwiGLU over arrays, one function per instruction set, each lane computing
// vector_math.h's fast_silu with the same operations (simd_avx512.h says why not the
// compiler's vectorisation). All give the same bits; the CPU backend calls the one of its
// kernel choice (GRAM_CPU_GEMM).
#include <cstddef>

#include "backend/fixed_order_gemm.h"

namespace gram::backend {

// x = silu(x)
void silu_array(GemmKernel kernel, std::size_t count, float* x);
// out = silu(gate) * up
void swiglu_array(GemmKernel kernel, std::size_t count, const float* gate, const float* up,
                  float* out);

namespace elementwise_detail {
void silu_avx2(std::size_t count, float* x);
void silu_avx512(std::size_t count, float* x);
void swiglu_avx2(std::size_t count, const float* gate, const float* up, float* out);
void swiglu_avx512(std::size_t count, const float* gate, const float* up, float* out);
}  // namespace elementwise_detail

}  // namespace gram::backend
