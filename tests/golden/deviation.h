#pragma once
// The tolerance both golden suites hold the engine to, and the running worst deviation each
// case reports: |engine - golden| <= kAbsolute + kRelative * |golden|.
#include <algorithm>
#include <cmath>
#include <cstddef>

namespace gram::golden {

constexpr double kAbsolute = 1e-5;
constexpr double kRelative = 1e-5;

struct Deviation {
  double worst_absolute = 0;
  double worst_excess = 0;  // max of |a - b| - (kAbsolute + kRelative |b|); <= 0 passes
  std::size_t count = 0;
  void add(double engine, double golden) {
    const double difference = std::abs(engine - golden);
    worst_absolute = std::max(worst_absolute, difference);
    worst_excess = std::max(worst_excess, difference - (kAbsolute + kRelative * std::abs(golden)));
    ++count;
  }
};

}  // namespace gram::golden
