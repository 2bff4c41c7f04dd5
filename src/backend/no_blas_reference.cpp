// A build without OpenBLAS (GRAM_OPENBLAS=OFF): no reference product; the CPU peak is the
// engine's own GEMM (backend/gemm_peak.cpp says so in its label).
#include "backend/blas_reference.h"
#include "util/error.h"

namespace gram::backend {

bool blas_reference_available() { return false; }

void blas_reference_product(int, const float*, const float*, float*, int) {
  GRAM_ASSERT(false, "this build has no OpenBLAS (GRAM_OPENBLAS=OFF)");
}

std::string blas_reference_name() { return "no reference (this build has no OpenBLAS)"; }

std::string blas_reference_detail(int) { return "none"; }

}  // namespace gram::backend
