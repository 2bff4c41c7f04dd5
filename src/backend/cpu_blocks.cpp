// The CPU backend's fused blocks (backend.h): each task takes a few tokens or one trajectory
// through the whole block, so that the intermediate products live in that thread's cache
// (ThreadScratch) instead of batch-sized buffers, and a block costs one parallel loop instead of
// four to six. Every element goes through the same chain of roundings as the block's
// operations one by one (the defaults in backend_blocks.cpp): the same bits, tested in
// tests/backend/fused_blocks_test.cpp.
#include <cmath>

#include "backend/cpu_backend.h"
#include "backend/sampler_math.h"
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

// The sampler's dropout on elements [first, first + count) of one trajectory's swiglu branch,
// held at `x` (x[0] is element `first`): each Philox group the span touches is drawn and only
// its lanes inside the span are kept, so every element takes the word dropout() gives it.
void dropout_span(float* x, std::size_t first, std::size_t count, const rng::NoiseKey& key,
                  const DropoutMask& mask) {
  const std::size_t end = first + count;
  for (std::size_t group = first / 4; group * 4 < end; ++group) {
    const auto words = rng::sampler_words(key, mask.draw.site, static_cast<std::uint32_t>(group));
    for (std::size_t lane = 0; lane < 4; ++lane) {
      const std::size_t element = group * 4 + lane;
      if (element < first || element >= end) continue;
      x[element - first] =
          dropout_element(x[element - first], words.v[lane], mask.drop_below, mask.keep_scale);
    }
  }
}

// The sampler's dropout on one trajectory's mlp_t branch `residual` (P+L, D), its elements
// numbered as in the separate operations' transposed layout (D, P+L): element
// channel * (P+L) + position.
void dropout_transposed(float* residual, int positions, int hidden, const rng::NoiseKey& key,
                        const DropoutMask& mask) {
  const std::size_t per_row = static_cast<std::size_t>(positions) * hidden;
  for (std::size_t group = 0; group * 4 < per_row; ++group) {
    const auto words = rng::sampler_words(key, mask.draw.site, static_cast<std::uint32_t>(group));
    for (std::size_t lane = 0; lane < 4; ++lane) {
      const std::size_t element = group * 4 + lane;
      if (element >= per_row) break;
      const std::size_t channel = element / positions;
      const std::size_t position = element % positions;
      float& value = residual[position * hidden + channel];
      value = dropout_element(value, words.v[lane], mask.drop_below, mask.keep_scale);
    }
  }
}

}  // namespace

void CpuBackend::swiglu_block(int tokens, float* x, const LinearWeight& gate_up,
                              const LinearWeight& down, float eps,
                              const BlockWorkspace& /*workspace*/,
                              const BlockDropout* dropout) {
  const PackedWeight& up = *cpu_weight(gate_up, WeightUse::kSwiGLUGateUp).columns;
  const PackedWeight& back = *cpu_weight(down, WeightUse::kSwiGLUDown).columns;
  const int hidden = back.out();  // D
  const int ffn = back.in();      // F
  GRAM_ASSERT(up.result_columns() == ffn && up.in() == hidden, "swiglu block shapes");
  if (dropout != nullptr) {
    const std::size_t elements = static_cast<std::size_t>(tokens) * hidden;
    GRAM_ASSERT(dropout->per_row > 0 && dropout->per_row % hidden == 0 &&
                    elements % dropout->per_row == 0,
                "swiglu block dropout: tokens of whole trajectories");
  }
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
    if (dropout != nullptr) {
      const std::size_t positions = dropout->per_row / hidden;
      for (int token = first; token < first + count; ++token) {
        const std::size_t row = static_cast<std::size_t>(token) / positions;
        dropout_span(residual + static_cast<std::size_t>(token - first) * hidden,
                     static_cast<std::size_t>(token) % positions * hidden,
                     static_cast<std::size_t>(hidden),
                     sampler_key(dropout->mask.draw, dropout->row_keys[row]), dropout->mask);
      }
    }
    add_rmsnorm_rows(count, hidden, rows, residual, eps);
  });
}

void CpuBackend::mlp_t_block(int rows, int positions, int hidden, float* x,
                             const LinearWeight& gate_up, const LinearWeight& down, float eps,
                             const BlockWorkspace& /*workspace*/,
                             const BlockDropout* dropout) {
  const SequenceWeight& up = *cpu_weight(gate_up, WeightUse::kMlpTGateUp).sequence;
  const SequenceWeight& back = *cpu_weight(down, WeightUse::kMlpTDown).sequence;
  const int mixer = back.in();  // Ft
  GRAM_ASSERT(up.result_rows() == mixer && up.in() == positions && back.out() == positions,
              "mlp_t block shapes");
  const std::size_t state = static_cast<std::size_t>(positions) * hidden;
  GRAM_ASSERT(dropout == nullptr || dropout->per_row == state,
              "mlp_t block dropout: one trajectory per row");
  pool_.run(rows, [&](int row, int thread) {
    float* activation = scratch(thread).floats(static_cast<std::size_t>(mixer) * hidden + state +
                                               static_cast<std::size_t>(hidden));
    float* residual = activation + static_cast<std::size_t>(mixer) * hidden;  // (P+L, D)
    float* sums = residual + state;                                           // (D)
    float* trajectory = x + static_cast<std::size_t>(row) * state;            // (P+L, D)
    sequence_gemm(kernel_, up, trajectory, hidden, hidden, activation, hidden);  // (Ft, D)
    sequence_gemm(kernel_, back, activation, hidden, hidden, residual, hidden);  // (P+L, D)
    if (dropout != nullptr) {
      dropout_transposed(residual, positions, hidden,
                         sampler_key(dropout->mask.draw, dropout->row_keys[row]), dropout->mask);
    }
    add_rmsnorm_columns(positions, hidden, trajectory, residual, eps, sums);
  });
}

}  // namespace gram::backend
