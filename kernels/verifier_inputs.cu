#include "verifier_inputs.h"

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

// One thread per output element.
__global__ void one_hot_kernel(std::size_t count, int positions, int prefix, int vocab,
                               const std::int32_t* tokens, float* out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * kThreadsPerBlock + threadIdx.x;
  if (i >= count) return;
  const std::size_t per_row = static_cast<std::size_t>(positions - prefix) * vocab;
  const std::size_t row = i / per_row;
  const std::size_t cell = (i % per_row) / vocab;
  const int token = static_cast<int>(i % vocab);
  out[i] = tokens[row * positions + prefix + cell] == token ? 1.0f : 0.0f;
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

void launch_one_hot(int rows, int positions, int prefix, int vocab, const std::int32_t* tokens,
                    float* out, cudaStream_t stream) {
  GRAM_ASSERT(rows >= 0 && positions > prefix && prefix >= 0 && vocab > 0, "one_hot shapes");
  if (rows == 0) return;
  GRAM_ASSERT(tokens && out, "one_hot: null operand");
  const std::size_t count = static_cast<std::size_t>(rows) * (positions - prefix) * vocab;
  const unsigned blocks = static_cast<unsigned>((count + kThreadsPerBlock - 1) / kThreadsPerBlock);
  one_hot_kernel<<<blocks, kThreadsPerBlock, 0, stream>>>(count, positions, prefix, vocab, tokens,
                                                          out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gram::kernels
