// The CUDA factory of a build without GRAM_CUDA (CMake compiles this file only then; with
// GRAM_CUDA the definition comes from kernels/cuda_backend.cpp).
#include "backend/backend.h"
#include "util/error.h"

namespace gram::backend {

std::unique_ptr<Backend> make_cuda_backend(const CudaOptions&) {
  throw Error(
      "backend 'cuda': this build has no CUDA backend (configure with -DGRAM_CUDA=ON where the "
      "CUDA toolkit is installed, or use backend=cpu)");
}

}  // namespace gram::backend
