#include "backend/gemm_peak.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <vector>

#include "backend/blas_reference.h"
#include "backend/thread_pool.h"
#include "util/error.h"

namespace gram::backend {
namespace {

// Best rate of `repetitions` timed calls of `product` (2 n^3 FLOPs each) after one warm-up.
double best_host_rate(int n, int repetitions, const std::function<void()>& product) {
  GemmTiming timing{n, 1, {}};
  for (int repetition = 0; repetition <= repetitions; ++repetition) {
    const auto start = std::chrono::steady_clock::now();
    product();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (repetition > 0) timing.seconds.push_back(seconds);
  }
  return best_flops_per_s(timing);
}

// Pseudo-random operands in [-0.5, 0.5): never zeros or a few repeated values, on which tensor
// cores run measurably faster than on real data.
std::vector<float> operand(std::size_t elements, std::uint32_t seed) {
  std::vector<float> values(elements);
  std::uint32_t state = seed;
  for (float& value : values) {
    state = state * 1664525u + 1013904223u;
    value = static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
  }
  return values;
}

// Back-to-back products per timing on a GPU: enough that one timing lasts milliseconds even in
// bf16 (8192^3 is about 1.5 ms at 700 TFLOP/s).
constexpr int kGpuProducts = 10;

}  // namespace

double best_flops_per_s(const GemmTiming& timing) {
  GRAM_ASSERT(!timing.seconds.empty(), "no timed repetition");
  const double fastest = *std::min_element(timing.seconds.begin(), timing.seconds.end());
  GRAM_ASSERT(fastest > 0.0, "a timing of zero seconds");
  const double n = timing.n;
  return 2.0 * n * n * n * timing.products / fastest;
}

std::string gpu_peak_label(const std::string& math, const std::string& math_detail,
                           const GemmTiming& timing, const std::string& device) {
  return "measured: cuBLAS " + math + " (" + math_detail + "): best of " +
         std::to_string(timing.seconds.size()) + " timings of " +
         std::to_string(timing.products) + " back-to-back " + std::to_string(timing.n) +
         "^3 products between CUDA events (" + device + ")";
}

int peak_product_size(const Backend& backend, int n) {
  return backend.name() == "cpu" ? n : std::max(n, 8192);
}

GemmPeak measure_gemm_peak(Backend& backend, int threads, int n, int repetitions) {
  n = peak_product_size(backend, n);
  const std::size_t elements = static_cast<std::size_t>(n) * n;
  const std::vector<float> x_host = operand(elements, 1);
  const std::vector<float> w_host = operand(elements, 2);
  DeviceArray<float> x(backend, elements);  // (n, n)
  DeviceArray<float> w(backend, elements);  // (n, n)
  DeviceArray<float> y(backend, elements);  // (n, n)
  backend.copy_to_device(x.data(), x_host.data(), elements * sizeof(float));
  backend.copy_to_device(w.data(), w_host.data(), elements * sizeof(float));
  const auto weight = backend.prepare_linear(w.data(), n, n, WeightUse::kLinear);

  GemmPeak peak;
  if (backend.name() != "cpu") {
    GemmTiming timing{n, kGpuProducts, {}};
    for (int repetition = 0; repetition <= repetitions; ++repetition) {
      const double seconds = backend.time_linear(timing.products, n, x.data(), *weight, y.data());
      if (repetition > 0) timing.seconds.push_back(seconds);  // the first is the warm-up
    }
    peak.flops_per_s = peak.engine_flops_per_s = best_flops_per_s(timing);
    peak.source = gpu_peak_label(backend.gemm_math(),
                                 describe_cuda_math(parse_cuda_math(backend.gemm_math())), timing,
                                 backend.describe());
    return peak;
  }
  peak.engine_flops_per_s = best_host_rate(n, repetitions, [&] {
    backend.time_linear(1, n, x.data(), *weight, y.data());
  });
  const std::string size = std::to_string(n) + "^3";
  if (!blas_reference_available()) {
    peak.flops_per_s = peak.engine_flops_per_s;
    peak.source = "measured: best of " + std::to_string(repetitions) +
                  " of the engine's fixed-order GEMMs " + size +
                  " (this build has no OpenBLAS to compare with; " + backend.describe() + ")";
    return peak;
  }
  const int blas_threads = threads > 0 ? threads : available_cores();
  std::vector<float> result(elements);
  peak.flops_per_s = best_host_rate(n, repetitions, [&] {
    blas_reference_product(n, x_host.data(), w_host.data(), result.data(), blas_threads);
  });
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.2f", peak.engine_flops_per_s / peak.flops_per_s);
  peak.source = "measured: best of " + std::to_string(repetitions) + " " +
                blas_reference_name() + " " + size + " (" + blas_reference_detail(blas_threads) +
                "); the engine's fixed-order GEMM on the same product: " + ratio +
                "x that rate (" + backend.describe() + ")";
  return peak;
}

}  // namespace gram::backend
