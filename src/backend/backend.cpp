// What every backend shares: the host-clock timing of back-to-back products and the host's
// available memory.
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "backend/backend.h"
#include "util/error.h"

namespace gram::backend {

double Backend::time_linear(int products, int rows, const float* x, const LinearWeight& w,
                            float* y) {
  GRAM_ASSERT(products > 0, "time_linear: at least one product");
  synchronize();
  const auto start = std::chrono::steady_clock::now();
  for (int product = 0; product < products; ++product) {
    linear(rows, x, w.in(), w, nullptr, y);
  }
  synchronize();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::uint64_t available_host_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    std::uint64_t kibibytes = 0;
    if (fields >> kibibytes) return kibibytes * 1024;
  }
  return 0;
}

}  // namespace gram::backend
