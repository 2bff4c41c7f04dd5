#pragma once
// Greedy decoding: tokens (rows) = argmax over each row of logits (rows, vocab) in the order of
// src/backend/argmax_order.h (ties to the lowest index, NaN below every number), the CPU
// backend's rule. Host declarations only; device pointers.
#include <cuda_runtime.h>

#include <cstdint>

namespace gram::kernels {

void launch_argmax(int rows, int vocab, const float* logits, std::int32_t* tokens,
                   cudaStream_t stream);

}  // namespace gram::kernels
