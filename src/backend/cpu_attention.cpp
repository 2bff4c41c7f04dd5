// The CPU backend's attention: non-causal, multi-head, rotate-half RoPE. One (item, head) per
// task: its q and k rotated into the thread's scratch, then the head through the kernel of the
// backend's instruction set (attention_kernels.h says what both compute, in which order).
#include <algorithm>
#include <cmath>

#include "backend/attention_kernels.h"
#include "backend/cpu_backend.h"
#include "rng/libm_float.h"
#include "util/error.h"

namespace gram::backend {
namespace attention_detail {

std::size_t scratch_floats(int seq, int head_dim) {
  const std::size_t keys = (static_cast<std::size_t>(seq) + 15) / 16 * 16;
  return keys * head_dim + 16 * keys + 16;  // k transposed, scores of 16 queries, totals
}

void head_portable(const HeadArgs& head) {
  const int seq = head.seq;
  const int head_dim = head.head_dim;
  float* scores = head.scratch;
  for (int query = 0; query < seq; ++query) {
    const float* q_row = head.q + static_cast<std::size_t>(query) * head_dim;
    float max_score = -INFINITY;
    for (int key = 0; key < seq; ++key) {
      const float* k_row = head.k + static_cast<std::size_t>(key) * head_dim;
      float dot = 0.0f;
      for (int i = 0; i < head_dim; ++i) dot += q_row[i] * k_row[i];
      scores[key] = dot * head.scale;
      max_score = std::max(max_score, scores[key]);
    }
    float total = 0.0f;
    for (int key = 0; key < seq; ++key) {
      scores[key] = rng::libm::expf(scores[key] - max_score);
      total += scores[key];
    }
    float* result = head.out + static_cast<std::size_t>(query) * head.out_stride;
    std::fill(result, result + head_dim, 0.0f);
    for (int key = 0; key < seq; ++key) {
      const float weight = scores[key] / total;
      const float* v_row = head.v + static_cast<std::size_t>(key) * head.v_stride;
      for (int i = 0; i < head_dim; ++i) result[i] += weight * v_row[i];
    }
  }
}

}  // namespace attention_detail

void CpuBackend::attention(int batch, int seq, int heads, int head_dim, const float* qkv,
                           const float* rope_cos, const float* rope_sin, float* out) {
  GRAM_ASSERT(head_dim % 2 == 0 || rope_cos == nullptr, "RoPE needs an even head dimension");
  const int hidden = heads * head_dim;
  const int half = head_dim / 2;
  const std::size_t head_floats = static_cast<std::size_t>(seq) * head_dim;
  const auto kernel = kernel_ == GemmKernel::kAvx512 ? attention_detail::head_avx512
                                                     : attention_detail::head_portable;
  pool_.run(batch * heads, [&](int task, int thread) {
    const int item = task / heads;
    const int head = task % heads;
    // Per-thread scratch, kept between calls: rotated q and k, then the kernel's own.
    float* q = scratch(thread).floats(2 * head_floats +
                                      attention_detail::scratch_floats(seq, head_dim));
    float* k = q + head_floats;
    const float* base = qkv + static_cast<std::size_t>(item) * seq * 3 * hidden;
    for (int position = 0; position < seq; ++position) {
      const float* row = base + static_cast<std::size_t>(position) * 3 * hidden;
      const float* q_in = row + head * head_dim;
      const float* k_in = row + hidden + head * head_dim;
      float* q_out = q + static_cast<std::size_t>(position) * head_dim;
      float* k_out = k + static_cast<std::size_t>(position) * head_dim;
      if (rope_cos == nullptr) {
        std::copy(q_in, q_in + head_dim, q_out);
        std::copy(k_in, k_in + head_dim, k_out);
        continue;
      }
      const float* cos_row = rope_cos + static_cast<std::size_t>(position) * half;
      const float* sin_row = rope_sin + static_cast<std::size_t>(position) * half;
      for (int i = 0; i < half; ++i) {
        // rotate_half: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)
        q_out[i] = q_in[i] * cos_row[i] - q_in[i + half] * sin_row[i];
        q_out[i + half] = q_in[i + half] * cos_row[i] + q_in[i] * sin_row[i];
        k_out[i] = k_in[i] * cos_row[i] - k_in[i + half] * sin_row[i];
        k_out[i + half] = k_in[i + half] * cos_row[i] + k_in[i] * sin_row[i];
      }
    }
    attention_detail::HeadArgs args;
    args.seq = seq;
    args.head_dim = head_dim;
    args.q = q;
    args.k = k;
    args.v = base + 2 * hidden + head * head_dim;
    args.v_stride = static_cast<std::size_t>(3) * hidden;
    args.out = out + static_cast<std::size_t>(item) * seq * hidden + head * head_dim;
    args.out_stride = static_cast<std::size_t>(hidden);
    args.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    args.scratch = k + head_floats;
    kernel(args);
  });
}

}  // namespace gram::backend
