// The CUDA factory of a build with GRAM_CUDA (CMake compiles this file only then; without it,
// cuda_unavailable.cpp). The backend itself lives in the CUDA plugin, libgram_cuda.so
// (kernels/, util/plugin.h), so that the CUDA runtime and cuBLAS are loaded by the runs that
// use the GPU and by no other command.
#include "backend/backend.h"
#include "util/plugin.h"

namespace gram::backend {

std::unique_ptr<Backend> make_cuda_backend(const CudaOptions& options) {
  using Entry = Backend* (*)(const CudaOptions*);
  const auto entry = reinterpret_cast<Entry>(plugin_symbol("cuda", "gram_cuda_backend"));
  return std::unique_ptr<Backend>(entry(&options));
}

}  // namespace gram::backend
