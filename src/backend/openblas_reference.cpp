// The CPU peak's reference product through OpenBLAS (GRAM_OPENBLAS, the default).
#include <cblas.h>

#include "backend/blas_reference.h"

namespace gram::backend {

bool blas_reference_available() { return true; }

void blas_reference_product(int n, const float* x, const float* w, float* y, int threads) {
  openblas_set_num_threads(threads);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, x, n, w, n, 0.0f, y, n);
}

std::string blas_reference_name() { return "OpenBLAS SGEMMs"; }

std::string blas_reference_detail(int threads) {
  return std::string(openblas_get_corename()) + " kernel, " + std::to_string(threads) +
         " threads";
}

}  // namespace gram::backend
