// Attention's AVX-512 kernel (attention_kernels.h): the order of every sum as the portable
// kernel's, with the lanes spread over independent sums: keys for the scores (k transposed,
// 16 keys per register, up to 8 registers of keys in flight), queries for the softmax totals,
// channels for the output.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "backend/attention_kernels.h"
#include "backend/simd_libm_avx512.h"

namespace gram::backend::attention_detail {
namespace {

constexpr int kLanes = 16;
constexpr int kQueries = 16;  // queries whose totals are summed together
constexpr int kKeyBlocks = 8;  // registers of keys per pass over q

GRAM_AVX512 inline __mmask16 valid_lanes(int valid) {
  return valid >= kLanes ? static_cast<__mmask16>(0xFFFF)
                         : static_cast<__mmask16>((1u << valid) - 1u);
}

// Scores of one query for key blocks [first_block, first_block + NB): dot products over i in
// order, times scale; the running maximum over the valid keys.
struct ScoreArgs {
  const float* q_row;
  const float* kt;  // (head_dim, keys)
  int keys;
  int head_dim;
  int first_block;
  float scale;
  float* scores;    // (keys)
  int seq;
};

template <int NB>
GRAM_AVX512 void score_blocks(const ScoreArgs& a, __m512& maximum) {
  __m512 acc[NB];
#pragma GCC unroll 8
  for (int b = 0; b < NB; ++b) acc[b] = _mm512_setzero_ps();
  for (int i = 0; i < a.head_dim; ++i) {
    const __m512 q = _mm512_set1_ps(a.q_row[i]);
    const float* k = a.kt + static_cast<std::size_t>(i) * a.keys + a.first_block * kLanes;
#pragma GCC unroll 8
    for (int b = 0; b < NB; ++b) {
      acc[b] = _mm512_add_ps(acc[b], _mm512_mul_ps(q, _mm512_loadu_ps(k + b * kLanes)));
    }
  }
#pragma GCC unroll 8
  for (int b = 0; b < NB; ++b) {
    const int first_key = (a.first_block + b) * kLanes;
    const __m512 score = _mm512_mul_ps(acc[b], _mm512_set1_ps(a.scale));
    _mm512_storeu_ps(a.scores + first_key, score);
    maximum = _mm512_mask_max_ps(maximum, valid_lanes(a.seq - first_key), maximum, score);
  }
}

}  // namespace

GRAM_AVX512 void head_avx512(const HeadArgs& head) {
  const int seq = head.seq;
  const int head_dim = head.head_dim;
  const int blocks = (seq + kLanes - 1) / kLanes;
  const int keys = blocks * kLanes;  // padded to whole registers
  float* kt = head.scratch;                                       // (head_dim, keys)
  float* e = kt + static_cast<std::size_t>(keys) * head_dim;     // (kQueries, keys)
  float* totals = e + static_cast<std::size_t>(kQueries) * keys;  // (kQueries)
  for (int i = 0; i < head_dim; ++i) {
    float* row = kt + static_cast<std::size_t>(i) * keys;
    for (int key = 0; key < seq; ++key) {
      row[key] = head.k[static_cast<std::size_t>(key) * head_dim + i];
    }
    std::fill(row + seq, row + keys, 0.0f);
  }
  for (int q0 = 0; q0 < seq; q0 += kQueries) {
    const int queries = std::min(kQueries, seq - q0);
    // Scores, maximum and exponentials of each query, vectorised over keys.
    for (int query = 0; query < queries; ++query) {
      const float* q_row = head.q + static_cast<std::size_t>(q0 + query) * head_dim;
      float* scores = e + static_cast<std::size_t>(query) * keys;
      __m512 maximum = _mm512_set1_ps(-INFINITY);
      for (int block = 0; block < blocks; block += kKeyBlocks) {
        ScoreArgs args{q_row, kt, keys, head_dim, block, head.scale, scores, seq};
        switch (std::min(kKeyBlocks, blocks - block)) {
          case 8: score_blocks<8>(args, maximum); break;
          case 7: score_blocks<7>(args, maximum); break;
          case 6: score_blocks<6>(args, maximum); break;
          case 5: score_blocks<5>(args, maximum); break;
          case 4: score_blocks<4>(args, maximum); break;
          case 3: score_blocks<3>(args, maximum); break;
          case 2: score_blocks<2>(args, maximum); break;
          default: score_blocks<1>(args, maximum); break;
        }
      }
      const __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(maximum));
      for (int block = 0; block < blocks; ++block) {
        float* at = scores + block * kLanes;
        _mm512_storeu_ps(at, simd::expf_avx512(_mm512_sub_ps(_mm512_loadu_ps(at), top)));
      }
    }
    // Totals: each query's sum over keys in order, the queries side by side.
    std::fill(totals, totals + kQueries, 0.0f);
    for (int key = 0; key < seq; ++key) {
      for (int query = 0; query < queries; ++query) {
        totals[query] += e[static_cast<std::size_t>(query) * keys + key];
      }
    }
    // Weights e / total, then the output as the weighted sum of v rows in key order.
    for (int query = 0; query < queries; ++query) {
      float* weights = e + static_cast<std::size_t>(query) * keys;
      const __m512 total = _mm512_set1_ps(totals[query]);
      for (int block = 0; block < blocks; ++block) {
        float* at = weights + block * kLanes;
        _mm512_storeu_ps(at, _mm512_div_ps(_mm512_loadu_ps(at), total));
      }
      float* result = head.out + static_cast<std::size_t>(q0 + query) * head.out_stride;
      for (int i0 = 0; i0 < head_dim; i0 += kLanes) {
        const __mmask16 mask = valid_lanes(head_dim - i0);
        __m512 acc = _mm512_setzero_ps();
        for (int key = 0; key < seq; ++key) {
          const __m512 v = _mm512_maskz_loadu_ps(mask, head.v + key * head.v_stride + i0);
          acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_set1_ps(weights[key]), v));
        }
        _mm512_mask_storeu_ps(result + i0, mask, acc);
      }
    }
  }
}

}  // namespace gram::backend::attention_detail
