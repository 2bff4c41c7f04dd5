#pragma once
// The practical peak that sweeps and benchmarks compare their FLOP/s with, measured at the start
// with the same threads, so "fraction of peak" names a figure of this machine, not a data sheet.
//
// On the CPU the peak is OpenBLAS's SGEMM on a large square product: the rate of the library a
// user would otherwise reach for. The engine's own fixed-order GEMM is timed on the same product
// beside it, so the cost of batch invariance is one ratio in every bench and sweep record.
//
// On CUDA it is the backend's own cuBLAS product in the run's math mode (GRAM_CUDA_MATH), so a
// bf16 run is held against the bf16 rate and an fp32 run against the fp32 rate, and the label
// says which. A GPU finishes a 1024^3 product in tens of microseconds, about a kernel launch, so
// the product is 8192^3 and each timing covers several back-to-back products between two CUDA
// events (Backend::time_linear): the device's time, not the host's launch and sync overhead.
#include <string>
#include <vector>

#include "backend/backend.h"

namespace gram::backend {

struct GemmPeak {
  double flops_per_s = 0.0;         // the reference GEMM (OpenBLAS SGEMM on the CPU)
  double engine_flops_per_s = 0.0;  // the backend's own `linear` on the same product
  std::string source;               // how both were measured, for the report
};

// `repetitions` timings after one warm-up, each of `products` back-to-back n x n x n products
// (2 n^3 FLOPs each). Host code only, so the arithmetic and the label are tested without a GPU.
struct GemmTiming {
  int n = 0;
  int products = 1;
  std::vector<double> seconds;  // one per timed repetition
};
// 2 n^3 products / seconds of the fastest repetition (a shared machine only ever slows a
// product down; the fastest is the closest to what the hardware does).
double best_flops_per_s(const GemmTiming& timing);
// "cuBLAS tf32 (CUBLAS_COMPUTE_32F_FAST_TF32: TF32 tensor-core inputs, fp32 accumulation):
// best of 3 timings of 10 back-to-back 8192^3 products between CUDA events (<device>)"
std::string gpu_peak_label(const std::string& math, const std::string& math_detail,
                           const GemmTiming& timing, const std::string& device);

// The product size a peak is measured at: `n` on the CPU, at least 8192 on a GPU.
int peak_product_size(const Backend& backend, int n);

// Measures the peak of `backend`; `threads` is the thread count the CPU reference may use (the
// backend's own, 0: every core).
GemmPeak measure_gemm_peak(Backend& backend, int threads, int n = 1024, int repetitions = 3);

}  // namespace gram::backend
