#pragma once
// The CUDA error vocabulary: CUDA_CHECK and CUBLAS_CHECK wrap every runtime and cuBLAS call and
// throw gram::Error naming the call, the file:line and the host. They are never compiled away:
// an unchecked launch or copy turns a device fault into silently wrong answers.
//
// CUDA_CHECK_LAUNCH() follows every kernel launch: it reports a bad launch configuration at
// once (cudaGetLastError) without waiting for the kernel.
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace gram::kernels {

[[noreturn]] void cuda_failure(cudaError_t status, const char* call, const char* file, int line);
[[noreturn]] void cublas_failure(cublasStatus_t status, const char* call, const char* file,
                                 int line);
// For destructors and release paths, which must not throw: prints the same message to stderr.
void cuda_warning(cudaError_t status, const char* call, const char* file, int line);

}  // namespace gram::kernels

#define CUDA_CHECK(call)                                                        \
  do {                                                                          \
    const cudaError_t gram_cuda_status = (call);                                \
    if (gram_cuda_status != cudaSuccess) {                                      \
      ::gram::kernels::cuda_failure(gram_cuda_status, #call, __FILE__, __LINE__); \
    }                                                                           \
  } while (0)

#define CUBLAS_CHECK(call)                                                          \
  do {                                                                              \
    const cublasStatus_t gram_cublas_status = (call);                               \
    if (gram_cublas_status != CUBLAS_STATUS_SUCCESS) {                              \
      ::gram::kernels::cublas_failure(gram_cublas_status, #call, __FILE__, __LINE__); \
    }                                                                               \
  } while (0)

#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

#define CUDA_WARN(call)                                                         \
  do {                                                                          \
    const cudaError_t gram_cuda_status = (call);                                \
    if (gram_cuda_status != cudaSuccess) {                                      \
      ::gram::kernels::cuda_warning(gram_cuda_status, #call, __FILE__, __LINE__); \
    }                                                                           \
  } while (0)
