#include "confidence.h"

#include <cstddef>

#include "backend/confidence_math.h"
#include "cuda_check.h"
#include "util/error.h"

namespace gram::kernels {
namespace {

constexpr int kThreadsPerBlock = 128;

// One thread per row: a row is a few dozen to a few hundred cells of a dozen logits, read once
// per supervision step, and one thread keeps the CPU backend's order of summation.
__global__ void confidence_kernel(int rows, int positions, int prefix, int vocab,
                                  const float* logits, const std::int32_t* tokens,
                                  const std::int32_t* previous, float* features) {
  const int row = blockIdx.x * kThreadsPerBlock + threadIdx.x;
  if (row >= rows) return;
  const std::size_t cell = static_cast<std::size_t>(row) * positions + prefix;
  backend::confidence_features(positions - prefix, vocab, logits + cell * vocab, tokens + cell,
                               previous + cell,
                               features + static_cast<std::size_t>(row) * backend::kConfidenceFeatures);
}

}  // namespace

void launch_confidence(int rows, int positions, int prefix, int vocab, const float* logits,
                       const std::int32_t* tokens, const std::int32_t* previous, float* features,
                       cudaStream_t stream) {
  GRAM_ASSERT(rows >= 0 && positions > prefix && prefix >= 0 && vocab > 0, "confidence shapes");
  if (rows == 0) return;
  GRAM_ASSERT(logits && tokens && previous && features, "confidence: null operand");
  const unsigned blocks = static_cast<unsigned>((rows + kThreadsPerBlock - 1) / kThreadsPerBlock);
  confidence_kernel<<<blocks, kThreadsPerBlock, 0, stream>>>(rows, positions, prefix, vocab,
                                                             logits, tokens, previous, features);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gram::kernels
