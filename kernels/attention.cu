#include "attention.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "cuda_check.h"
#include "kernel_math.h"
#include "launch_common.cuh"
#include "util/error.h"

namespace gram::kernels {
namespace {

constexpr int kQueriesPerBlock = 8;  // one warp per query
constexpr int kKeysPerTile = kWarp;  // one lane per key when scoring a tile
constexpr int kChannelsPerLane = kAttentionMaxHeadDim / kWarp;

std::size_t shared_bytes(int head_dim) {
  // q (8, hd) | k tile (32, hd + 1) | v tile (32, hd)
  return sizeof(float) * (static_cast<std::size_t>(kQueriesPerBlock) * head_dim +
                          static_cast<std::size_t>(kKeysPerTile) * (head_dim + 1) +
                          static_cast<std::size_t>(kKeysPerTile) * head_dim);
}

// Grid (query blocks, heads, batch items). Each block streams the keys and values of its
// (item, head) through shared memory 32 at a time; each warp keeps one query's output in
// registers (lane owns channels lane, lane + 32, ...) with a streaming softmax, so the scores
// are never stored. The k tile is padded by one column so that lane j reading key j's channel
// c hits a different bank from lane j + 1.
__global__ void attention_kernel(int batch, int seq, int heads, int head_dim, const float* qkv,
                                 const float* rope_cos, const float* rope_sin, float* out) {
  extern __shared__ float shared[];
  float* q_tile = shared;                                    // (8, hd)
  float* k_tile = q_tile + kQueriesPerBlock * head_dim;      // (32, hd + 1)
  float* v_tile = k_tile + kKeysPerTile * (head_dim + 1);    // (32, hd)
  const int hidden = heads * head_dim;
  const int half = head_dim / 2;
  const int head = blockIdx.y;
  const int warp = threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  const float scale = 1.0f / sqrtf(static_cast<float>(head_dim));

  for (int item = blockIdx.z; item < batch; item += gridDim.z) {
    const float* base = qkv + static_cast<std::size_t>(item) * seq * 3 * hidden;  // (seq, 3D)
    const int query = blockIdx.x * kQueriesPerBlock + warp;
    const bool active = query < seq;
    float* q = q_tile + warp * head_dim;
    if (active) {
      const float* q_in = base + static_cast<std::size_t>(query) * 3 * hidden + head * head_dim;
      for (int c = lane; c < head_dim; c += kWarp) {
        q[c] = rope_cos == nullptr
                   ? q_in[c]
                   : rope_channel(q_in, c, half, rope_cos + static_cast<std::size_t>(query) * half,
                                  rope_sin + static_cast<std::size_t>(query) * half);
      }
    }
    float accumulator[kChannelsPerLane] = {};
    OnlineSoftmax softmax;

    for (int tile_start = 0; tile_start < seq; tile_start += kKeysPerTile) {
      const int tile_keys = min(kKeysPerTile, seq - tile_start);
      __syncthreads();  // the previous tile is no longer read
      for (int index = threadIdx.x; index < tile_keys * head_dim; index += blockDim.x) {
        const int j = index / head_dim;
        const int c = index % head_dim;
        const int key = tile_start + j;
        const float* row = base + static_cast<std::size_t>(key) * 3 * hidden;
        const float* k_in = row + hidden + head * head_dim;
        k_tile[j * (head_dim + 1) + c] =
            rope_cos == nullptr
                ? k_in[c]
                : rope_channel(k_in, c, half, rope_cos + static_cast<std::size_t>(key) * half,
                               rope_sin + static_cast<std::size_t>(key) * half);
        v_tile[j * head_dim + c] = row[2 * hidden + head * head_dim + c];
      }
      __syncthreads();
      if (!active) continue;
      float score = -INFINITY;
      if (lane < tile_keys) {
        const float* k = k_tile + lane * (head_dim + 1);
        float dot = 0.0f;
        for (int c = 0; c < head_dim; ++c) dot += q[c] * k[c];
        score = dot * scale;
      }
      const float rescale = softmax.raise_maximum(warp_max(score));
      for (int slot = 0; slot < kChannelsPerLane; ++slot) accumulator[slot] *= rescale;
      const float weight = lane < tile_keys ? softmax.weight(score) : 0.0f;
      softmax.total += warp_sum(weight);
      for (int j = 0; j < tile_keys; ++j) {
        const float p = __shfl_sync(0xffffffffu, weight, j);
        const float* v = v_tile + j * head_dim;
        for (int slot = 0; slot < kChannelsPerLane; ++slot) {
          const int c = lane + slot * kWarp;
          if (c < head_dim) accumulator[slot] += p * v[c];
        }
      }
    }
    if (active) {
      float* result = out + (static_cast<std::size_t>(item) * seq + query) * hidden +
                      head * head_dim;
      for (int slot = 0; slot < kChannelsPerLane; ++slot) {
        const int c = lane + slot * kWarp;
        if (c < head_dim) result[c] = accumulator[slot] / softmax.total;
      }
    }
  }
}

}  // namespace

void launch_attention(int batch, int seq, int heads, int head_dim, const float* qkv,
                      const float* rope_cos, const float* rope_sin, float* out,
                      cudaStream_t stream) {
  GRAM_ASSERT(batch >= 0 && seq > 0 && heads > 0 && head_dim > 0, "attention shapes");
  GRAM_ASSERT(seq <= kAttentionMaxSeq, "attention: the CUDA kernel handles seq <= 1024");
  GRAM_ASSERT(head_dim <= kAttentionMaxHeadDim, "attention: the CUDA kernel handles head_dim <= 128");
  GRAM_ASSERT((rope_cos == nullptr) == (rope_sin == nullptr), "attention: RoPE needs cos and sin");
  GRAM_ASSERT(head_dim % 2 == 0 || rope_cos == nullptr, "RoPE needs an even head dimension");
  GRAM_ASSERT(heads <= 65535, "attention: too many heads for the grid");
  if (batch == 0) return;
  GRAM_ASSERT(qkv != nullptr && out != nullptr, "attention: null operand");
  const dim3 grid((seq + kQueriesPerBlock - 1) / kQueriesPerBlock, heads, std::min(batch, 65535));
  attention_kernel<<<grid, kQueriesPerBlock * kWarp, shared_bytes(head_dim), stream>>>(
      batch, seq, heads, head_dim, qkv, rope_cos, rope_sin, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gram::kernels
