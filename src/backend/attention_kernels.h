#pragma once
// Attention for one (item, head) of the CPU backend (cpu_attention.cpp), per instruction set.
// Both kernels compute, for every query, in this order:
//   score[key] = (sum over i, ascending, of q[i] * k[key][i]) * scale     (mul, then add)
//   e[key]     = expf(score[key] - max over keys)                          (rng/libm_float.h)
//   total      = sum over keys, ascending, of e[key]
//   out[i]     = sum over keys, ascending, of (e[key] / total) * v[key][i]  (mul, then add)
// so they give the same bits. The AVX-512 kernel vectorises across keys for the scores and the
// exponentials, across queries for the totals and across channels for the output.
#include <cstddef>

namespace gram::backend::attention_detail {

struct HeadArgs {
  int seq = 0;
  int head_dim = 0;
  const float* q = nullptr;  // (seq, head_dim), rotated
  const float* k = nullptr;  // (seq, head_dim), rotated
  const float* v = nullptr;  // rows v_stride apart
  std::size_t v_stride = 0;
  float* out = nullptr;      // rows out_stride apart
  std::size_t out_stride = 0;
  float scale = 1.0f;
  float* scratch = nullptr;  // scratch_floats(seq, head_dim)
};

std::size_t scratch_floats(int seq, int head_dim);

void head_portable(const HeadArgs& head);
void head_avx512(const HeadArgs& head);

}  // namespace gram::backend::attention_detail
