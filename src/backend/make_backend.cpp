#include <cstdlib>

#include "backend/backend.h"
#include "backend/fixed_order_gemm.h"
#include "util/error.h"

namespace gram::backend {

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
