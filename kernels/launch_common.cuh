#pragma once
// Launch helpers shared by the .cu files (device side only; not part of any public header).
#include <algorithm>
#include <cstddef>

namespace gram::kernels {

constexpr int kWarp = 32;

// Blocks for a grid-stride loop over `count` items: enough to fill an H100 several times over
// (132 SMs x 16 blocks of 256 threads), never more than the hardware's x-dimension limit.
inline unsigned grid_for(std::size_t count, int threads) {
  const std::size_t wanted = (count + threads - 1) / threads;
  return static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(wanted, 8192)));
}

__device__ inline float warp_sum(float value) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  }
  return value;
}

__device__ inline float warp_max(float value) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  }
  return value;
}

}  // namespace gram::kernels
