#pragma once
// Non-causal multi-head attention with rotate-half RoPE for short sequences (seq <= 1024),
// the shape of the recursive models' mixers: qkv (batch, seq, 3 * heads * head_dim) ->
// out (batch, seq, heads * head_dim), rope_cos/rope_sin (seq, head_dim / 2) or null.
// Host declarations only; device pointers.
#include <cuda_runtime.h>

namespace gram::kernels {

constexpr int kAttentionMaxSeq = 1024;
constexpr int kAttentionMaxHeadDim = 128;

void launch_attention(int batch, int seq, int heads, int head_dim, const float* qkv,
                      const float* rope_cos, const float* rope_sin, float* out,
                      cudaStream_t stream);

}  // namespace gram::kernels
