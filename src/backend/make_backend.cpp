#include <cstdlib>

#include "backend/backend.h"
#include "backend/fixed_order_gemm.h"
#include "util/error.h"

namespace gram::backend {

std::string to_string(CudaMath math) {
  switch (math) {
    case CudaMath::kFp32: return "fp32";
    case CudaMath::kTf32: return "tf32";
    case CudaMath::kBf16: return "bf16";
  }
  return "unknown";
}

std::string describe_cuda_math(CudaMath math) {
  switch (math) {
    case CudaMath::kFp32: return "CUBLAS_COMPUTE_32F: fp32 inputs and accumulation";
    case CudaMath::kTf32:
      return "CUBLAS_COMPUTE_32F_FAST_TF32: TF32 tensor-core inputs, fp32 accumulation";
    case CudaMath::kBf16:
      return "bf16 operands (weights converted at load), CUBLAS_COMPUTE_32F accumulation";
  }
  return "unknown";
}

CudaMath parse_cuda_math(const std::string& text) {
  if (text == "fp32") return CudaMath::kFp32;
  if (text == "tf32") return CudaMath::kTf32;
  if (text == "bf16") return CudaMath::kBf16;
  throw Error("GRAM_CUDA_MATH '" + text + "': unknown (expected fp32, tf32 or bf16)");
}

std::unique_ptr<Backend> make_backend(const std::string& name, int threads, int local_rank) {
  if (name == "cpu") {
    const char* kernel = std::getenv("GRAM_CPU_GEMM");
    if (kernel == nullptr || *kernel == '\0') return make_cpu_backend(threads);
    return make_cpu_backend(threads, parse_gemm_kernel(kernel));
  }
  if (name == "cuda") {
    CudaOptions options;
    options.local_rank = local_rank;
    if (const char* math = std::getenv("GRAM_CUDA_MATH"); math != nullptr && *math != '\0') {
      options.math = parse_cuda_math(math);
    }
    return make_cuda_backend(options);
  }
  throw Error("backend '" + name + "': unknown (expected cpu or cuda)");
}

}  // namespace gram::backend
