#pragma once
// What a verifier reads besides the latent states (src/model/verifier.h). Host declarations
// only; device pointers.
#include <cuda_runtime.h>

#include <cstdint>

namespace gram::kernels {

// The confidence statistics (src/backend/confidence_math.h): features (rows, 6) of each row's
// puzzle cells, from logits (rows * positions, vocab), the answer tokens and the previous step's.
void launch_confidence(int rows, int positions, int prefix, int vocab, const float* logits,
                       const std::int32_t* tokens, const std::int32_t* previous, float* features,
                       cudaStream_t stream);

// The answer one-hot: out (rows, (positions - prefix) * vocab) from tokens (rows * positions).
void launch_one_hot(int rows, int positions, int prefix, int vocab, const std::int32_t* tokens,
                    float* out, cudaStream_t stream);

}  // namespace gram::kernels
