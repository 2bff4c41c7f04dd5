#pragma once
// Seeded random draws that give the same numbers with every standard library.
//
// std::mt19937_64's output sequence is fixed by the C++ standard, but the distributions and
// std::shuffle are not: libstdc++ and libc++ turn the same engine output into different
// numbers. Generated puzzle files must not depend on the compiler, so the bounded draw, the
// unit-interval draw and the shuffle are written out here.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace gram::tasks {

// SplitMix64 finaliser: spreads nearby seeds (0, 1, 2, ...) over the whole 64-bit range.
inline std::uint64_t mix_seed(std::uint64_t value) {
  value += 0x9e3779b97f4a7c15ull;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ull;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebull;
  return value ^ (value >> 31);
}

class SeededRandom {
 public:
  // One stream per (seed, index): instance i of a generated file depends on the seed and on i
  // only, not on how many instances were asked for.
  SeededRandom(std::uint64_t seed, std::uint64_t index)
      : engine_(mix_seed(mix_seed(seed) ^ index)) {}

  // Uniform in [0, bound), bound >= 1. Rejection sampling removes the modulo bias: draws below
  // 2^64 mod bound are thrown away so every residue is equally likely.
  std::uint64_t below(std::uint64_t bound) {
    std::uint64_t threshold = (0 - bound) % bound;
    while (true) {
      std::uint64_t draw = engine_();
      if (draw >= threshold) {
        return draw % bound;
      }
    }
  }

  // Uniform in [0, 1) on the 2^53 grid of doubles.
  double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Fisher-Yates: every permutation equally likely.
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i > 1; --i) {
      std::size_t j = static_cast<std::size_t>(below(i));
      std::swap(items[i - 1], items[j]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace gram::tasks
