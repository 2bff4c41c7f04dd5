// The fp32 -> bf16 rounding that the bf16 products read (kernels::bf16_bits, the body of
// kernels/convert.cu): round to nearest, ties to even, NaN kept quiet, overflow to infinity.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "kernel_math.h"

namespace gram {
namespace {

float from_bits(std::uint32_t bits) {
  float value = 0.0f;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

TEST(Bf16, RoundsToNearestWithTiesToEven) {
  EXPECT_EQ(kernels::bf16_bits(1.0f), 0x3f80);
  EXPECT_EQ(kernels::bf16_bits(-2.0f), 0xc000);
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties to the even mantissa (1).
  EXPECT_EQ(kernels::bf16_bits(from_bits(0x3f808000u)), 0x3f80);
  // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6: up to the even one.
  EXPECT_EQ(kernels::bf16_bits(from_bits(0x3f818000u)), 0x3f82);
  EXPECT_EQ(kernels::bf16_bits(from_bits(0x3f808001u)), 0x3f81);  // just above half: up
  EXPECT_EQ(kernels::bf16_bits(from_bits(0x3f807fffu)), 0x3f80);  // just below: down
  // The largest float rounds up to infinity; infinities and zeros stay.
  EXPECT_EQ(kernels::bf16_bits(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(kernels::bf16_bits(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(kernels::bf16_bits(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(kernels::bf16_bits(-0.0f), 0x8000);
  // A NaN stays a NaN, even one whose payload lies only in the discarded bits.
  const float payload_nan = from_bits(0x7f800001u);
  EXPECT_TRUE(std::isnan(kernels::bf16_value(kernels::bf16_bits(payload_nan))));
  EXPECT_TRUE(std::isnan(kernels::bf16_value(kernels::bf16_bits(std::nanf("")))));
}

// Within half a bf16 ulp of the input (2^-9 relative), and the nearest of the two neighbours.
TEST(Bf16, IsTheNearestBf16) {
  std::mt19937 generator(3);
  std::uniform_real_distribution<float> uniform(-1000.0f, 1000.0f);
  for (int trial = 0; trial < 100000; ++trial) {
    const float x = uniform(generator);
    const float rounded = kernels::bf16_value(kernels::bf16_bits(x));
    std::uint32_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    const float down = from_bits(bits & 0xffff0000u);
    const float up = from_bits((bits & 0xffff0000u) + 0x10000u);
    EXPECT_TRUE(rounded == down || rounded == up) << x;
    EXPECT_LE(std::abs(rounded - x), std::min(std::abs(down - x), std::abs(up - x))) << x;
    EXPECT_LE(std::abs(rounded - x), std::abs(x) * (1.0f / 256.0f)) << x;
  }
}

}  // namespace
}  // namespace gram
