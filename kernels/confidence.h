#pragma once
// The confidence statistics a verifier reads (src/backend/confidence_math.h): features
// (rows, 6) of each row's puzzle cells, from logits (rows * positions, vocab), the answer tokens
// and the previous step's. Host declarations only; device pointers.
#include <cuda_runtime.h>

#include <cstdint>

namespace gram::kernels {

void launch_confidence(int rows, int positions, int prefix, int vocab, const float* logits,
                       const std::int32_t* tokens, const std::int32_t* previous, float* features,
                       cudaStream_t stream);

}  // namespace gram::kernels
