#pragma once
// The CPU peak's reference product: OpenBLAS's SGEMM, the library a user would otherwise reach
// for (backend/gemm_peak.h). A build without OpenBLAS (GRAM_OPENBLAS=OFF: the device bundle,
// where OpenBLAS's kernels for every x86 core would add 21 MB to each binary) has none; its CPU
// peak is then the engine's own GEMM. CMake compiles openblas_reference.cpp or
// no_blas_reference.cpp, so no code tests for OpenBLAS with the preprocessor.
#include <string>

namespace gram::backend {

bool blas_reference_available();
// y (n, n) = x (n, n) w^T, row-major, on `threads` threads. Only when available.
void blas_reference_product(int n, const float* x, const float* w, float* y, int threads);
// "OpenBLAS SGEMMs", and how they ran: "SkylakeX kernel, 2 threads".
std::string blas_reference_name();
std::string blas_reference_detail(int threads);

}  // namespace gram::backend
