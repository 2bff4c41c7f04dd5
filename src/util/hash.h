#pragma once
// FNV-1a 64-bit: the canonical answer hash. Stable across platforms and builds, so hashes in
// result files can be compared between runs, ranks and backends.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace gram {

inline constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
inline constexpr std::uint64_t kFnvPrime = 1099511628211ull;

inline std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash = kFnvOffset) {
  for (unsigned char byte : bytes) {
    hash = (hash ^ byte) * kFnvPrime;
  }
  return hash;
}

// Hashes each token as 4 little-endian bytes.
inline std::uint64_t fnv1a64_tokens(std::span<const std::int32_t> tokens,
                                    std::uint64_t hash = kFnvOffset) {
  for (std::int32_t token : tokens) {
    auto value = static_cast<std::uint32_t>(token);
    for (int byte = 0; byte < 4; ++byte) {
      hash = (hash ^ ((value >> (8 * byte)) & 0xffu)) * kFnvPrime;
    }
  }
  return hash;
}

// Hex form used in JSON (a 64-bit integer does not survive every JSON reader).
std::string hash_to_hex(std::uint64_t hash);

}  // namespace gram
