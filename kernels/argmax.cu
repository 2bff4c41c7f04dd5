#include "argmax.h"

#include <cstddef>

#include "backend/argmax_order.h"
#include "cuda_check.h"
#include "launch_common.cuh"
#include "util/error.h"

namespace gram::kernels {
namespace {

constexpr int kWarpsPerBlock = 8;

// One warp per row: vocabularies are small (11 for Sudoku), so each lane scans a strided
// slice and the warp then reduces (value, index) pairs. backend::argmax_prefers is a total
// order (NaN below every number, ties to the lower index), so the lanes' order of visits cannot
// change the winner, and the result is the CPU backend's left-to-right scan.
__global__ void argmax_kernel(int rows, int vocab, const float* logits, std::int32_t* tokens) {
  const int lane = threadIdx.x % kWarp;
  const std::size_t row =
      static_cast<std::size_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  if (row >= static_cast<std::size_t>(rows)) return;
  const float* values = logits + row * vocab;  // (vocab)
  // Lanes past the vocabulary hold "none" (index vocab), which every candidate beats.
  float best_value = lane < vocab ? values[lane] : 0.0f;
  int best = lane < vocab ? lane : vocab;
  for (int token = lane + kWarp; token < vocab; token += kWarp) {
    if (backend::argmax_prefers(values[token], token, best_value, best)) {
      best_value = values[token];
      best = token;
    }
  }
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    const float other_value = __shfl_xor_sync(0xffffffffu, best_value, offset);
    const int other = __shfl_xor_sync(0xffffffffu, best, offset);
    const bool other_wins =
        other != vocab &&
        (best == vocab || backend::argmax_prefers(other_value, other, best_value, best));
    if (other_wins) {
      best_value = other_value;
      best = other;
    }
  }
  if (lane == 0) tokens[row] = best;
}

}  // namespace

void launch_argmax(int rows, int vocab, const float* logits, std::int32_t* tokens,
                   cudaStream_t stream) {
  GRAM_ASSERT(rows >= 0 && vocab > 0, "argmax shapes");
  if (rows == 0) return;
  GRAM_ASSERT(logits != nullptr && tokens != nullptr, "argmax: null operand");
  const unsigned blocks = static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
  argmax_kernel<<<blocks, kWarpsPerBlock * kWarp, 0, stream>>>(rows, vocab, logits, tokens);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gram::kernels
