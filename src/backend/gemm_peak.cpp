#include "backend/gemm_peak.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace gram::backend {

GemmPeak measure_gemm_peak(Backend& backend, int n, int repetitions) {
  const std::size_t elements = static_cast<std::size_t>(n) * n;
  std::vector<float> host(elements);
  for (std::size_t i = 0; i < elements; ++i) host[i] = static_cast<float>(i % 7) * 0.125f - 0.375f;
  DeviceArray<float> x(backend, elements);  // (n, n)
  DeviceArray<float> w(backend, elements);  // (n, n)
  DeviceArray<float> y(backend, elements);  // (n, n)
  backend.copy_to_device(x.data(), host.data(), elements * sizeof(float));
  backend.copy_to_device(w.data(), host.data(), elements * sizeof(float));

  double best = 0.0;
  for (int repetition = 0; repetition <= repetitions; ++repetition) {
    const auto start = std::chrono::steady_clock::now();
    backend.linear(n, n, n, x.data(), n, w.data(), nullptr, y.data());
    backend.synchronize();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (repetition > 0) best = std::max(best, 2.0 * n * n * static_cast<double>(n) / seconds);
  }
  return {best, "measured: best of " + std::to_string(repetitions) + " fp32 GEMMs " +
                    std::to_string(n) + "^3 on the backend (" + backend.describe() + ")"};
}

}  // namespace gram::backend
