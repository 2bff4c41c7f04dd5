// Greedy decoding with NaN, -inf and ties: the GPU kernel's reduction (strided lanes, then a
// warp butterfly), mirrored on the host with the same comparison (backend/argmax_order.h),
// against the CPU backend's left-to-right scan. tests/gpu runs the kernel itself on these rows.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "backend/argmax_order.h"
#include "backend/backend.h"

namespace gram {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// kernels/argmax.cu on one row, lane by lane: 32 lanes scan token = lane, lane + 32, ...; then
// five butterfly rounds, each lane taking its partner's candidate when it comes first.
int warp_argmax(const std::vector<float>& values) {
  constexpr int kWarp = 32;
  const int vocab = static_cast<int>(values.size());
  float best_value[kWarp];
  int best[kWarp];
  for (int lane = 0; lane < kWarp; ++lane) {
    best_value[lane] = lane < vocab ? values[lane] : 0.0f;
    best[lane] = lane < vocab ? lane : vocab;
    for (int token = lane + kWarp; token < vocab; token += kWarp) {
      if (backend::argmax_prefers(values[token], token, best_value[lane], best[lane])) {
        best_value[lane] = values[token];
        best[lane] = token;
      }
    }
  }
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    float next_value[kWarp];
    int next[kWarp];
    for (int lane = 0; lane < kWarp; ++lane) {
      const int partner = lane ^ offset;
      const bool other_wins =
          best[partner] != vocab &&
          (best[lane] == vocab || backend::argmax_prefers(best_value[partner], best[partner],
                                                          best_value[lane], best[lane]));
      next_value[lane] = other_wins ? best_value[partner] : best_value[lane];
      next[lane] = other_wins ? best[partner] : best[lane];
    }
    std::copy(next_value, next_value + kWarp, best_value);
    std::copy(next, next + kWarp, best);
  }
  return best[0];
}

int cpu_argmax(const std::vector<float>& values) {
  auto cpu = backend::make_cpu_backend(1);
  std::int32_t token = -1;
  cpu->argmax(1, static_cast<int>(values.size()), values.data(), &token);
  return token;
}

TEST(ArgmaxOrder, NanRanksBelowEveryNumberAndTiesGoToTheLowerIndex) {
  EXPECT_TRUE(backend::argmax_prefers(1.0f, 5, 0.5f, 0));
  EXPECT_TRUE(backend::argmax_prefers(1.0f, 2, 1.0f, 3));    // tie: lower index
  EXPECT_FALSE(backend::argmax_prefers(1.0f, 3, 1.0f, 2));
  EXPECT_TRUE(backend::argmax_prefers(-kInf, 9, kNan, 0));    // any number beats NaN
  EXPECT_FALSE(backend::argmax_prefers(kNan, 0, -kInf, 9));
  EXPECT_TRUE(backend::argmax_prefers(kNan, 1, kNan, 4));     // NaN vs NaN: lower index
  EXPECT_TRUE(backend::argmax_prefers(0.0f, 1, -0.0f, 2));    // +0 and -0 are equal
  EXPECT_FALSE(backend::argmax_prefers(0.0f, 2, -0.0f, 1));
}

// The cases where `value > best` reductions part ways: a NaN at index 0, a NaN in the lane that
// would hold the winner's partner, rows of NaN and -inf, ties across lanes, and vocabularies
// past one warp.
TEST(ArgmaxOrder, WarpReductionAgreesWithTheCpuScan) {
  const std::vector<std::pair<std::vector<float>, int>> cases = {
      {{kNan, 1.0f, 3.0f, 2.0f}, 2},
      {{1.0f, kNan, 0.5f, 4.0f, kNan}, 3},
      {{kNan, kNan, kNan}, 0},
      {{kNan, -kInf, kNan}, 1},
      {{-kInf, -kInf}, 0},
      {{2.0f, 7.0f, 7.0f, kNan, 7.0f}, 1},
      {{kInf, kNan, kInf}, 0},
  };
  for (const auto& [row, expected] : cases) {
    EXPECT_EQ(cpu_argmax(row), expected);
    EXPECT_EQ(warp_argmax(row), expected);
  }
  // Random rows of 11 (Sudoku) and 70 tokens (three strided visits per lane), seeded with NaN,
  // -inf and repeated maxima.
  std::mt19937 generator(5);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  std::uniform_int_distribution<int> kind(0, 9);
  for (int vocab : {1, 11, 32, 33, 70}) {
    for (int trial = 0; trial < 500; ++trial) {
      std::vector<float> row(vocab);
      for (float& value : row) {
        const int k = kind(generator);
        value = k == 0 ? kNan : k == 1 ? -kInf : k == 2 ? 1.5f : uniform(generator);
      }
      EXPECT_EQ(warp_argmax(row), cpu_argmax(row)) << "vocab " << vocab << " trial " << trial;
    }
  }
}

}  // namespace
}  // namespace gram
