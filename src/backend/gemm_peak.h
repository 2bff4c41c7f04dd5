#pragma once
// The practical peak that sweeps and benchmarks compare their FLOP/s with: the backend's own
// GEMM rate on a large square product (OpenBLAS SGEMM on the CPU), measured at the start with
// the same threads, so "fraction of peak" names a figure of this machine, not a data sheet.
#include <string>

#include "backend/backend.h"

namespace gram::backend {

struct GemmPeak {
  double flops_per_s = 0.0;
  std::string source;  // how it was measured, for the report
};

// Best of a few timed `linear` calls of size n x n x n after one warm-up call.
GemmPeak measure_gemm_peak(Backend& backend, int n = 1024, int repetitions = 3);

}  // namespace gram::backend
