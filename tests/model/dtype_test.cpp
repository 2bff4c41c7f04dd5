// fp32 <-> F32/BF16/F16 conversions: exact values, rounding ties, subnormals, NaN and Inf, and
// exhaustive round trips over every 16-bit pattern.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "model/model_test_helpers.h"
#include "model/safetensors.h"

namespace gram::model {
namespace {

std::uint16_t to_bits16(float value, DType dtype) {
  RawTensor tensor = from_float32({value}, {1}, dtype);
  return static_cast<std::uint16_t>(tensor.bytes[0] | tensor.bytes[1] << 8);
}

float from_bits16(std::uint16_t bits, DType dtype) {
  RawTensor tensor;
  tensor.dtype = dtype;
  tensor.shape = {1};
  tensor.bytes = {static_cast<std::uint8_t>(bits), static_cast<std::uint8_t>(bits >> 8)};
  return to_float32(tensor)[0];
}

float from_bits32(std::uint32_t bits) { return std::bit_cast<float>(bits); }

TEST(Dtype, NamesAndSizes) {
  EXPECT_STREQ(dtype_name(DType::kF32), "F32");
  EXPECT_STREQ(dtype_name(DType::kBF16), "BF16");
  EXPECT_STREQ(dtype_name(DType::kF16), "F16");
  EXPECT_EQ(dtype_size(DType::kF32), 4u);
  EXPECT_EQ(dtype_size(DType::kBF16), 2u);
  EXPECT_EQ(dtype_size(DType::kF16), 2u);
}

TEST(Dtype, F32IsLittleEndianAndExact) {
  std::vector<float> values = {1.0f, -0.0f, 3.1415927f, std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::infinity()};
  RawTensor tensor = from_float32(values, {5});
  ASSERT_EQ(tensor.bytes.size(), 20u);
  EXPECT_EQ(tensor.bytes[0], 0x00);  // 1.0f = 0x3f800000, low byte first
  EXPECT_EQ(tensor.bytes[3], 0x3f);
  std::vector<float> back = to_float32(tensor);
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(std::bit_cast<std::uint32_t>(back[i]), std::bit_cast<std::uint32_t>(values[i]));
  }
  float nan = from_bits32(0x7fa00001u);  // a signalling NaN with a payload keeps its bits
  EXPECT_EQ(std::bit_cast<std::uint32_t>(to_float32(from_float32({nan}, {1}))[0]), 0x7fa00001u);
}

TEST(Dtype, Bf16ExactValuesAndRounding) {
  EXPECT_EQ(to_bits16(1.0f, DType::kBF16), 0x3f80);
  EXPECT_EQ(to_bits16(-2.0f, DType::kBF16), 0xc000);
  EXPECT_EQ(to_bits16(-0.0f, DType::kBF16), 0x8000);
  EXPECT_EQ(to_bits16(from_bits32(0x3f808000u), DType::kBF16), 0x3f80);  // tie, even below
  EXPECT_EQ(to_bits16(from_bits32(0x3f818000u), DType::kBF16), 0x3f82);  // tie, even above
  EXPECT_EQ(to_bits16(from_bits32(0x3f808001u), DType::kBF16), 0x3f81);  // just above a tie
  EXPECT_EQ(to_bits16(from_bits32(0x3f807fffu), DType::kBF16), 0x3f80);  // just below a tie
  EXPECT_EQ(to_bits16(std::numeric_limits<float>::max(), DType::kBF16), 0x7f80);  // to Inf
  EXPECT_EQ(to_bits16(-std::numeric_limits<float>::infinity(), DType::kBF16), 0xff80);
  EXPECT_EQ(to_bits16(from_bits32(0x00018000u), DType::kBF16), 0x0002);  // fp32 subnormal tie
  EXPECT_EQ(from_bits16(0x4049, DType::kBF16), 3.140625f);
}

TEST(Dtype, Bf16KeepsNaN) {
  // Payload only in the low 16 bits: plain truncation would give 0x7f80, which is Inf.
  std::uint16_t bits = to_bits16(from_bits32(0x7f800001u), DType::kBF16);
  EXPECT_TRUE(std::isnan(from_bits16(bits, DType::kBF16)));
  EXPECT_EQ(to_bits16(from_bits32(0xffc00000u), DType::kBF16), 0xffc0);  // sign kept
}

TEST(Dtype, Bf16RoundTripsEveryPattern) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    auto pattern = static_cast<std::uint16_t>(bits);
    float value = from_bits16(pattern, DType::kBF16);
    ASSERT_EQ(std::bit_cast<std::uint32_t>(value), bits << 16);
    std::uint16_t back = to_bits16(value, DType::kBF16);
    if (std::isnan(value)) {
      ASSERT_EQ(back, pattern | 0x0040) << std::hex << bits;  // quietened, payload kept
    } else {
      ASSERT_EQ(back, pattern) << std::hex << bits;
    }
  }
}

TEST(Dtype, F16ExactValuesAndRounding) {
  EXPECT_EQ(to_bits16(1.0f, DType::kF16), 0x3c00);
  EXPECT_EQ(to_bits16(-2.0f, DType::kF16), 0xc000);
  EXPECT_EQ(to_bits16(0.1f, DType::kF16), 0x2e66);
  EXPECT_EQ(to_bits16(65504.0f, DType::kF16), 0x7bff);            // largest finite
  EXPECT_EQ(to_bits16(65519.99f, DType::kF16), 0x7bff);
  EXPECT_EQ(to_bits16(65520.0f, DType::kF16), 0x7c00);            // tie rounds to even: Inf
  EXPECT_EQ(to_bits16(1e10f, DType::kF16), 0x7c00);
  EXPECT_EQ(to_bits16(1.0f + 0x1p-11f, DType::kF16), 0x3c00);     // tie, even below
  EXPECT_EQ(to_bits16(1.0f + 3 * 0x1p-11f, DType::kF16), 0x3c02); // tie, even above
  EXPECT_EQ(to_bits16(1.0f + 0x1p-11f + 0x1p-20f, DType::kF16), 0x3c01);
  EXPECT_EQ(to_bits16(0x1p-14f, DType::kF16), 0x0400);            // smallest normal
  EXPECT_EQ(to_bits16(0x1p-24f, DType::kF16), 0x0001);            // smallest subnormal
  EXPECT_EQ(to_bits16(1023 * 0x1p-24f, DType::kF16), 0x03ff);     // largest subnormal
  EXPECT_EQ(to_bits16(1023.5f * 0x1p-24f, DType::kF16), 0x0400);  // tie carries into normal
  EXPECT_EQ(to_bits16(0x1p-25f, DType::kF16), 0x0000);            // tie, even is zero
  EXPECT_EQ(to_bits16(1.5f * 0x1p-25f, DType::kF16), 0x0001);
  EXPECT_EQ(to_bits16(3 * 0x1p-25f, DType::kF16), 0x0002);        // 1.5 units: tie to 2
  EXPECT_EQ(to_bits16(5 * 0x1p-25f, DType::kF16), 0x0002);        // 2.5 units: tie to 2
  EXPECT_EQ(to_bits16(-0x1p-30f, DType::kF16), 0x8000);           // underflow keeps the sign
  EXPECT_EQ(to_bits16(std::numeric_limits<float>::infinity(), DType::kF16), 0x7c00);
  EXPECT_EQ(from_bits16(0x0001, DType::kF16), 0x1p-24f);
  EXPECT_EQ(from_bits16(0x03ff, DType::kF16), 1023 * 0x1p-24f);
  EXPECT_EQ(from_bits16(0x7bff, DType::kF16), 65504.0f);
  EXPECT_EQ(from_bits16(0xfc00, DType::kF16), -std::numeric_limits<float>::infinity());
}

TEST(Dtype, F16KeepsNaN) {
  std::uint16_t bits = to_bits16(from_bits32(0x7f800001u), DType::kF16);
  EXPECT_TRUE(std::isnan(from_bits16(bits, DType::kF16)));
  EXPECT_TRUE(std::isnan(from_bits16(0x7c01, DType::kF16)));
}

TEST(Dtype, F16RoundTripsEveryPattern) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    auto pattern = static_cast<std::uint16_t>(bits);
    float value = from_bits16(pattern, DType::kF16);
    std::uint16_t back = to_bits16(value, DType::kF16);
    if (std::isnan(value)) {
      ASSERT_TRUE(std::isnan(from_bits16(back, DType::kF16))) << std::hex << bits;
    } else {
      ASSERT_EQ(back, pattern) << std::hex << bits;
    }
  }
}

#ifdef __FLT16_MAX__
// The compiler's _Float16 conversion (IEEE, round to nearest even) as an independent reference.
TEST(Dtype, F16MatchesCompilerConversion) {
  std::mt19937 engine(7);
  for (int i = 0; i < 300000; ++i) {
    // Uniform exponents in the half range and around it, random mantissas and signs.
    std::uint32_t bits = (engine() & 0x807fffffu) | ((96 + engine() % 64) << 23);
    float value = from_bits32(bits);
    auto expected = std::bit_cast<std::uint16_t>(static_cast<_Float16>(value));
    ASSERT_EQ(to_bits16(value, DType::kF16), expected) << std::hex << bits;
  }
}
#endif

TEST(Dtype, ConversionKeepsShapeAndOrder) {
  std::vector<float> values = {0.5f, -1.0f, 2.0f, 4.0f, -0.25f, 8.0f};
  for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    RawTensor tensor = from_float32(values, {2, 3}, dtype);
    EXPECT_EQ(tensor.dtype, dtype);
    EXPECT_EQ(tensor.shape, (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(tensor.bytes.size(), 6 * dtype_size(dtype));
    EXPECT_EQ(to_float32(tensor), values) << dtype_name(dtype);  // all exactly representable
  }
}

TEST(Dtype, CountMismatchIsAnInternalError) {
  EXPECT_TRUE(testing::has_substr(
      testing::error_message([] { from_float32({1, 2, 3}, {2, 2}); }), "internal check failed"));
  RawTensor tensor = from_float32({1, 2}, {2});
  tensor.shape = {3};
  EXPECT_TRUE(testing::has_substr(testing::error_message([&] { to_float32(tensor); }),
                                  "8 bytes for 3 F32 elements"));
}

}  // namespace
}  // namespace gram::model
