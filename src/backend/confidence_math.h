#pragma once
// The model's confidence in one trajectory's answer: six statistics of its output distribution
// over the puzzle cells, and of how the answer moved in the last supervision step. A verifier
// with the "confidence" input (model/verifier.h) reads them; one formula for every backend,
// compiled for host and device (the CPU backend loops over rows, kernels/verifier_inputs.cu
// runs one thread per row), each row summed in cell order, so a row's statistics do not depend
// on the other rows.
//
//   max_logp(c) = log softmax(logits_c)[argmax] = -log(sum_v exp(logits_c,v - max_v logits_c))
//   margin(c)   = the largest logit minus the second largest (the same gap in log-probabilities)
//   same(c)     = 1 when the cell's answer token equals the previous step's, else 0 (0 at a
//                 trajectory's first step, whose previous token is kNoPreviousToken)
//   features    = mean and min over the cells of max_logp, margin and same, in that order
//
// Why these: on a stochastic model's sampled trajectories a wrong answer is the one the model is
// unsure of (low max_logp, small margins) and still changing from step to step; measured in
// docs/training.md, "Training a verifier".
#include <cstdint>

#include "util/host_device.h"
#if !defined(__CUDA_ARCH__)
#include "rng/libm_float.h"
#endif

namespace gram::backend {

inline constexpr int kConfidenceFeatures = 6;
inline constexpr std::int32_t kNoPreviousToken = -1;

GRAM_HOST_DEVICE inline float confidence_exp(float x) {
#if defined(__CUDA_ARCH__)
  return expf(x);
#else
  return rng::libm::expf(x);
#endif
}

GRAM_HOST_DEVICE inline float confidence_log(float x) {
#if defined(__CUDA_ARCH__)
  return logf(x);
#else
  return rng::libm::logf(x);
#endif
}

// One row: `cells` positions of `vocab` logits each, their answer tokens and the previous
// step's; writes kConfidenceFeatures floats to `out`.
GRAM_HOST_DEVICE inline void confidence_features(int cells, int vocab, const float* logits,
                                                 const std::int32_t* tokens,
                                                 const std::int32_t* previous, float* out) {
  float sum_logp = 0.0f, min_logp = 0.0f, sum_margin = 0.0f, min_margin = 0.0f;
  float sum_same = 0.0f, min_same = 0.0f;
  for (int cell = 0; cell < cells; ++cell) {
    const float* x = logits + static_cast<long long>(cell) * vocab;
    float top = x[0], second = -3.402823466e38f;
    for (int v = 1; v < vocab; ++v) {
      if (x[v] > top) {
        second = top;
        top = x[v];
      } else if (x[v] > second) {
        second = x[v];
      }
    }
    float total = 0.0f;
    for (int v = 0; v < vocab; ++v) total += confidence_exp(x[v] - top);
    const float logp = -confidence_log(total);
    const float margin = vocab > 1 ? top - second : 0.0f;
    const float same = tokens[cell] == previous[cell] ? 1.0f : 0.0f;
    sum_logp += logp;
    sum_margin += margin;
    sum_same += same;
    min_logp = cell == 0 || logp < min_logp ? logp : min_logp;
    min_margin = cell == 0 || margin < min_margin ? margin : min_margin;
    min_same = cell == 0 || same < min_same ? same : min_same;
  }
  const float n = static_cast<float>(cells);
  out[0] = sum_logp / n;
  out[1] = min_logp;
  out[2] = sum_margin / n;
  out[3] = min_margin;
  out[4] = sum_same / n;
  out[5] = min_same;
}

}  // namespace gram::backend
