#pragma once
// Seeded standard normals for random models and verifiers (tests, demos): the same seed gives
// the same values with every standard library.
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace gram::model {

// Standard normals from mt19937_64 via Box-Muller. std::normal_distribution is not used: each
// standard library implements it differently, and a seeded model must be the same everywhere.
class NormalSource {
 public:
  explicit NormalSource(std::uint64_t seed) : engine_(seed) {}

  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double radius = std::sqrt(-2.0 * std::log(uniform_open()));
    double angle = 2.0 * std::numbers::pi * uniform_open();
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  // The top 53 bits, centred in their interval: strictly inside (0, 1), so log() is finite.
  double uniform_open() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1p-53; }

  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace gram::model
