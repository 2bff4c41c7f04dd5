// Element types of the safetensors container and their conversion to and from fp32.
//
// Conversions work on bit patterns, byte by byte in little-endian order, so a file written on
// one machine reads the same on any other, whatever the host's byte order or rounding mode.
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "model/safetensors.h"
#include "util/error.h"

namespace gram::model {
namespace {

std::uint32_t float_bits(float value) { return std::bit_cast<std::uint32_t>(value); }
float bits_float(std::uint32_t bits) { return std::bit_cast<float>(bits); }

// Round to nearest, ties to even: add just under half an output unit, plus one when the kept
// part is odd, then truncate.
std::uint16_t float_to_bf16(float value) {
  std::uint32_t bits = float_bits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    // NaN: truncating could clear every mantissa bit left and turn it into Inf, so set the
    // quiet bit; sign and top payload bits are kept.
    return static_cast<std::uint16_t>((bits >> 16) | 0x0040u);
  }
  std::uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>((bits + rounding) >> 16);  // overflow carries into Inf
}

float bf16_to_float(std::uint16_t half) { return bits_float(static_cast<std::uint32_t>(half) << 16); }

// IEEE binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits; subnormals below 2^-14.
std::uint16_t float_to_f16(float value) {
  std::uint32_t bits = float_bits(value);
  auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  std::uint32_t exponent = (bits >> 23) & 0xffu;
  std::uint32_t mantissa = bits & 0x7fffffu;
  if (exponent == 0xffu) {
    if (mantissa == 0) return sign | 0x7c00u;  // Inf
    return static_cast<std::uint16_t>(sign | 0x7e00u | (mantissa >> 13));  // quiet NaN
  }
  int half_exponent = static_cast<int>(exponent) - 127 + 15;
  if (half_exponent >= 31) return sign | 0x7c00u;  // beyond 65520 even before rounding
  if (half_exponent <= 0) {
    // Subnormal half (or zero): the value is m * 2^-24 with m the 24-bit significand shifted
    // right by 14 - half_exponent. Below 2^-25 everything rounds to zero.
    if (half_exponent < -10) return sign;
    std::uint32_t significand = mantissa | 0x800000u;
    int shift = 14 - half_exponent;  // 14..24
    std::uint32_t kept = significand >> shift;
    std::uint32_t rest = significand & ((1u << shift) - 1u);
    std::uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (kept & 1u))) ++kept;  // may become 2^-14: fine
    return static_cast<std::uint16_t>(sign | kept);
  }
  std::uint32_t half = (static_cast<std::uint32_t>(half_exponent) << 10) | (mantissa >> 13);
  std::uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // carry may reach Inf
  return static_cast<std::uint16_t>(sign | half);
}

float f16_to_float(std::uint16_t half) {
  std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  std::uint32_t exponent = (half >> 10) & 0x1fu;
  std::uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1fu) return bits_float(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0) return bits_float(sign);
    // Subnormal: normalise so the leading one becomes the implicit bit of an fp32 normal.
    int shift = 0;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ffu;
    std::uint32_t fp32_exponent = static_cast<std::uint32_t>(127 - 15 + 1 - shift);
    return bits_float(sign | (fp32_exponent << 23) | (mantissa << 13));
  }
  return bits_float(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

// numel of `shape`; the caller has checked every dimension is non-negative and the product fits.
std::size_t element_count(const std::vector<std::int64_t>& shape) {
  std::size_t count = 1;
  for (auto dim : shape) {
    GRAM_ASSERT(dim >= 0, "negative dimension");
    GRAM_ASSERT(dim == 0 || count <= std::numeric_limits<std::size_t>::max() / 4 /
                                         static_cast<std::size_t>(dim),
                "tensor element count overflows");
    count *= static_cast<std::size_t>(dim);
  }
  return count;
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kBF16: return "BF16";
    case DType::kF16: return "F16";
  }
  return "?";
}

std::size_t dtype_size(DType dtype) { return dtype == DType::kF32 ? 4 : 2; }

std::vector<float> to_float32(const RawTensor& tensor) {
  std::size_t count = element_count(tensor.shape);
  std::size_t width = dtype_size(tensor.dtype);
  GRAM_ASSERT(tensor.bytes.size() == count * width,
              std::to_string(tensor.bytes.size()) + " bytes for " + std::to_string(count) + " " +
                  dtype_name(tensor.dtype) + " elements");
  std::vector<float> values(count);
  const std::uint8_t* bytes = tensor.bytes.data();
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* at = bytes + i * width;
    if (tensor.dtype == DType::kF32) {
      std::uint32_t bits = static_cast<std::uint32_t>(at[0]) | static_cast<std::uint32_t>(at[1]) << 8 |
                           static_cast<std::uint32_t>(at[2]) << 16 |
                           static_cast<std::uint32_t>(at[3]) << 24;
      values[i] = bits_float(bits);
    } else {
      auto bits = static_cast<std::uint16_t>(at[0] | at[1] << 8);
      values[i] = tensor.dtype == DType::kBF16 ? bf16_to_float(bits) : f16_to_float(bits);
    }
  }
  return values;
}

RawTensor from_float32(const std::vector<float>& values, std::vector<std::int64_t> shape,
                       DType dtype) {
  std::size_t count = element_count(shape);
  GRAM_ASSERT(values.size() == count, std::to_string(values.size()) + " values for " +
                                          std::to_string(count) + " elements");
  RawTensor tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  std::size_t width = dtype_size(dtype);
  tensor.bytes.resize(count * width);
  std::uint8_t* bytes = tensor.bytes.data();
  for (std::size_t i = 0; i < count; ++i) {
    std::uint8_t* at = bytes + i * width;
    if (dtype == DType::kF32) {
      std::uint32_t bits = float_bits(values[i]);
      for (int b = 0; b < 4; ++b) at[b] = static_cast<std::uint8_t>(bits >> (8 * b));
    } else {
      std::uint16_t bits = dtype == DType::kBF16 ? float_to_bf16(values[i]) : float_to_f16(values[i]);
      at[0] = static_cast<std::uint8_t>(bits);
      at[1] = static_cast<std::uint8_t>(bits >> 8);
    }
  }
  return tensor;
}

}  // namespace gram::model
