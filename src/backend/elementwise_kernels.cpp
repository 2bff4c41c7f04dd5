#include "backend/elementwise_kernels.h"

#include "backend/vector_math.h"

namespace gram::backend {

void silu_array(GemmKernel kernel, std::size_t count, float* x) {
  switch (kernel) {
    case GemmKernel::kAvx512: return elementwise_detail::silu_avx512(count, x);
    case GemmKernel::kAvx2: return elementwise_detail::silu_avx2(count, x);
    case GemmKernel::kPortable: break;
  }
  for (std::size_t i = 0; i < count; ++i) x[i] = fast_silu(x[i]);
}

void swiglu_array(GemmKernel kernel, std::size_t count, const float* gate, const float* up,
                  float* out) {
  switch (kernel) {
    case GemmKernel::kAvx512: return elementwise_detail::swiglu_avx512(count, gate, up, out);
    case GemmKernel::kAvx2: return elementwise_detail::swiglu_avx2(count, gate, up, out);
    case GemmKernel::kPortable: break;
  }
  for (std::size_t i = 0; i < count; ++i) out[i] = fast_silu(gate[i]) * up[i];
}

}  // namespace gram::backend
