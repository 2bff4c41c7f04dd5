// The names of the CUDA backend's matrix arithmetic. A file of its own because the CUDA plugin
// (kernels/) compiles it too: it names the arithmetic in its description.
#include <string>

#include "backend/backend.h"
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

}  // namespace gram::backend
