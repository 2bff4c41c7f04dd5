#include "backend/gemm_peak.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "backend/thread_pool.h"

namespace gram::backend {
namespace {

// Best rate of `repetitions` timed calls of `product` (2 n^3 FLOPs each) after one warm-up.
double best_rate(int n, int repetitions, const std::function<void()>& product) {
  double best = 0.0;
  for (int repetition = 0; repetition <= repetitions; ++repetition) {
    const auto start = std::chrono::steady_clock::now();
    product();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (repetition > 0) best = std::max(best, 2.0 * n * n * static_cast<double>(n) / seconds);
  }
  return best;
}

}  // namespace

GemmPeak measure_gemm_peak(Backend& backend, int threads, int n, int repetitions) {
  const std::size_t elements = static_cast<std::size_t>(n) * n;
  std::vector<float> host(elements);
  for (std::size_t i = 0; i < elements; ++i) host[i] = static_cast<float>(i % 7) * 0.125f - 0.375f;
  DeviceArray<float> x(backend, elements);  // (n, n)
  DeviceArray<float> w(backend, elements);  // (n, n)
  DeviceArray<float> y(backend, elements);  // (n, n)
  backend.copy_to_device(x.data(), host.data(), elements * sizeof(float));
  backend.copy_to_device(w.data(), host.data(), elements * sizeof(float));
  const auto weight = backend.prepare_linear(w.data(), n, n, WeightUse::kLinear);

  GemmPeak peak;
  peak.engine_flops_per_s = best_rate(n, repetitions, [&] {
    backend.linear(n, x.data(), n, *weight, nullptr, y.data());
    backend.synchronize();
  });
  const std::string size = std::to_string(n) + "^3";
  if (backend.name() != "cpu") {
    peak.flops_per_s = peak.engine_flops_per_s;
    peak.source = "measured: best of " + std::to_string(repetitions) + " fp32 GEMMs " + size +
                  " on the backend (" + backend.describe() + ")";
    return peak;
  }
  const int blas_threads = threads > 0 ? threads : available_cores();
  openblas_set_num_threads(blas_threads);
  std::vector<float> result(elements);
  peak.flops_per_s = best_rate(n, repetitions, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, host.data(), n,
                host.data(), n, 0.0f, result.data(), n);
  });
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.2f", peak.engine_flops_per_s / peak.flops_per_s);
  peak.source = "measured: best of " + std::to_string(repetitions) + " OpenBLAS SGEMMs " + size +
                " (" + openblas_get_corename() + " kernel, " + std::to_string(blas_threads) +
                " threads); the engine's fixed-order GEMM on the same product: " + ratio +
                "x that rate (" + backend.describe() + ")";
  return peak;
}

}  // namespace gram::backend
