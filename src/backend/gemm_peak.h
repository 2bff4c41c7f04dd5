#pragma once
// The practical peak that sweeps and benchmarks compare their FLOP/s with, measured at the start
// with the same threads, so "fraction of peak" names a figure of this machine, not a data sheet.
// On the CPU the peak is OpenBLAS's SGEMM on a large square product: the rate of the library a
// user would otherwise reach for. The engine's own fixed-order GEMM is timed on the same product
// beside it, so the cost of batch invariance is one ratio in every bench and sweep record. On
// CUDA both are the backend's cuBLAS product.
#include <string>

#include "backend/backend.h"

namespace gram::backend {

struct GemmPeak {
  double flops_per_s = 0.0;         // the reference GEMM (OpenBLAS SGEMM on the CPU)
  double engine_flops_per_s = 0.0;  // the backend's own `linear` on the same product
  std::string source;               // how both were measured, for the report
};

// Best of `repetitions` timed products of size n x n x n after one warm-up each; `threads` is
// the thread count the CPU reference may use (the backend's own, 0: every core).
GemmPeak measure_gemm_peak(Backend& backend, int threads, int n = 1024, int repetitions = 3);

}  // namespace gram::backend
