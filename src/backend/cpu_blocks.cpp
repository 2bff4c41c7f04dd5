// The CPU backend's fused blocks (backend.h): each task takes a few tokens or one trajectory
// through the whole block, so that the intermediate products live in that thread's cache
// (ThreadScratch) instead of batch-sized buffers, and a block costs one parallel loop instead of
// four to six. Every element goes through the same chain of roundings as the block's
// operations one by one (the defaults in backend_blocks.cpp): the same bits, tested in
// tests/backend/fused_blocks_test.cpp.
#include <cmath>

#include "backend/cpu_backend.h"
#include "util/error.h"

namespace gram::backend {
namespace {

const CpuLinearWeight& cpu_weight(const LinearWeight& w, WeightUse use) {
  const auto* weight = dynamic_cast<const CpuLinearWeight*>(&w);
  GRAM_ASSERT(weight != nullptr, "block: weight prepared by another backend");
  GRAM_ASSERT(weight->use == use, "block: weight prepared for another use");
  return *weight;
}

// Tokens per task of a swiglu_block: a multiple of 8 (the kernels' row tiles) up to 48 (a
// tile of rows reused across every weight panel from L1), and small enough that a short batch
// still gives each thread two tasks.
int tokens_per_task(int tokens, int threads) {
  constexpr int kMost = 48;
  const int share = (tokens + 2 * threads - 1) / (2 * threads);
  return std::min(kMost, std::max(8, (share + 7) / 8 * 8));
}

// x (positions, width) = rmsnorm(x + residual) over positions, for every channel: TRM's norm
// after the mlp_t mixer. Each channel's sum of squares runs over positions in order, as the
// transposed layout's row norm sums it; the loops over channels vectorise.
void add_rmsnorm_columns(int positions, int width, float* x, const float* residual, float eps,
                         float* sums) {
  for (int c = 0; c < width; ++c) sums[c] = 0.0f;
  for (int p = 0; p < positions; ++p) {
    float* values = x + static_cast<std::size_t>(p) * width;
    const float* added = residual + static_cast<std::size_t>(p) * width;
#pragma omp simd
    for (int c = 0; c < width; ++c) {
      values[c] += added[c];
      sums[c] += values[c] * values[c];
    }
  }
#pragma omp simd
  for (int c = 0; c < width; ++c) {
    sums[c] = 1.0f / std::sqrt(sums[c] / static_cast<float>(positions) + eps);
  }
  for (int p = 0; p < positions; ++p) {
    float* values = x + static_cast<std::size_t>(p) * width;
#pragma omp simd
    for (int c = 0; c < width; ++c) values[c] *= sums[c];
  }
}

}  // namespace

void CpuBackend::swiglu_block(int tokens, float* x, const LinearWeight& gate_up,
                              const LinearWeight& down, float eps,
                              const BlockWorkspace& /*workspace*/) {
  const PackedWeight& up = *cpu_weight(gate_up, WeightUse::kSwiGLUGateUp).columns;
  const PackedWeight& back = *cpu_weight(down, WeightUse::kSwiGLUDown).columns;
  const int hidden = back.out();  // D
  const int ffn = back.in();      // F
  GRAM_ASSERT(up.result_columns() == ffn && up.in() == hidden, "swiglu block shapes");
  const int block = tokens_per_task(tokens, pool_.threads());
  pool_.run((tokens + block - 1) / block, [&](int task, int thread) {
    const int first = task * block;
    const int count = std::min(block, tokens - first);
    float* activation = scratch(thread).floats(static_cast<std::size_t>(block) * (ffn + hidden));
    float* residual = activation + static_cast<std::size_t>(block) * ffn;
    float* rows = x + static_cast<std::size_t>(first) * hidden;
    fixed_order_gemm_rows(kernel_, count, rows, hidden, up, nullptr, activation, ffn);  // (., F)
    fixed_order_gemm_rows(kernel_, count, activation, ffn, back, nullptr, residual,
                          hidden);                                                  // (., D)
    add_rmsnorm_rows(count, hidden, rows, residual, eps);
  });
}

void CpuBackend::mlp_t_block(int rows, int positions, int hidden, float* x,
                             const LinearWeight& gate_up, const LinearWeight& down, float eps,
                             const BlockWorkspace& /*workspace*/) {
  const SequenceWeight& up = *cpu_weight(gate_up, WeightUse::kMlpTGateUp).sequence;
  const SequenceWeight& back = *cpu_weight(down, WeightUse::kMlpTDown).sequence;
  const int mixer = back.in();  // Ft
  GRAM_ASSERT(up.result_rows() == mixer && up.in() == positions && back.out() == positions,
              "mlp_t block shapes");
  const std::size_t state = static_cast<std::size_t>(positions) * hidden;
  pool_.run(rows, [&](int row, int thread) {
    float* activation = scratch(thread).floats(static_cast<std::size_t>(mixer) * hidden + state +
                                               static_cast<std::size_t>(hidden));
    float* residual = activation + static_cast<std::size_t>(mixer) * hidden;  // (P+L, D)
    float* sums = residual + state;                                           // (D)
    float* trajectory = x + static_cast<std::size_t>(row) * state;            // (P+L, D)
    sequence_gemm(kernel_, up, trajectory, hidden, hidden, activation, hidden);  // (Ft, D)
    sequence_gemm(kernel_, back, activation, hidden, hidden, residual, hidden);  // (P+L, D)
    add_rmsnorm_columns(positions, hidden, trajectory, residual, eps, sums);
  });
}

}  // namespace gram::backend
