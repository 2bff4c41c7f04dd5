#pragma once
// The CPU backend (backend.h), internal to src/backend. One class whose operations live in
// cpu_backend.cpp (memory, products, elementwise passes), cpu_blocks.cpp (the fused blocks),
// cpu_attention.cpp and cpu_noise.cpp; this header is what they share.
//
// fp32 throughout; every matrix product goes through the fixed-order GEMM
// (fixed_order_gemm.h) or its positions-axis twin (sequence_gemm.h), so that a row's result
// never depends on the batch, and every parallel loop through the backend's thread pool
// (thread_pool.h). Every reduction on a row (a product's output, RMSNorm's sum of squares, an
// attention score and its softmax total, argmax) runs over that row alone in one fixed order.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/fixed_order_gemm.h"
#include "backend/sequence_gemm.h"
#include "backend/thread_pool.h"
#include "rng/philox_noise.h"

namespace gram::backend {

// The CPU form of a prepared weight: packed for the product of its use.
class CpuLinearWeight final : public LinearWeight {
 public:
  CpuLinearWeight(const float* w, int out, int in, WeightUse use);
  WeightUse use;
  std::unique_ptr<PackedWeight> columns;     // linear(), swiglu_block
  std::unique_ptr<SequenceWeight> sequence;  // mlp_t_block
};

// Memory of one thread that only grows: a fused block keeps its intermediate products here, in
// that thread's cache, instead of in buffers the size of the batch. Never cleared.
class ThreadScratch {
 public:
  float* floats(std::size_t count);

 private:
  struct Free {
    void operator()(float* pointer) const;
  };
  std::unique_ptr<float[], Free> data_;
  std::size_t capacity_ = 0;
};

class CpuBackend final : public Backend {
 public:
  CpuBackend(int threads, GemmKernel kernel);

  std::string name() const override { return "cpu"; }
  std::string describe() const override;

  void* allocate(std::size_t bytes) override;
  void release(void* pointer) override;
  void copy_to_device(void* destination, const void* source, std::size_t bytes) override;
  void copy_to_host(void* destination, const void* source, std::size_t bytes) override;
  void copy_on_device(void* destination, const void* source, std::size_t bytes) override;
  void synchronize() override {}
  MemoryCapacity memory_capacity() const override {
    return {available_host_memory_bytes(), true, 0, "host memory"};
  }

  std::unique_ptr<LinearWeight> prepare_linear(const float* w, int out, int in,
                                               WeightUse use) override;
  void linear(int rows, const float* x, int x_stride, const LinearWeight& w, const float* bias,
              float* y) override;

  void add(std::size_t count, const float* a, const float* b, const float* c,
           float* out) override;
  void add_rmsnorm(int rows, int width, float* x, const float* residual, float eps) override;
  void swiglu(int rows, int hidden, const float* gate_up, float* out) override;
  void silu(std::size_t count, float* x) override;
  void transpose(int batch, int rows, int cols, const float* in, float* out) override;

  void swiglu_block(int tokens, float* x, const LinearWeight& gate_up, const LinearWeight& down,
                    float eps, const BlockWorkspace& workspace,
                    const BlockDropout* dropout) override;
  void mlp_t_block(int rows, int positions, int hidden, float* x, const LinearWeight& gate_up,
                   const LinearWeight& down, float eps, const BlockWorkspace& workspace,
                   const BlockDropout* dropout) override;

  void attention(int batch, int seq, int heads, int head_dim, const float* qkv,
                 const float* rope_cos, const float* rope_sin, float* out) override;
  void noise_step(int rows, int positions, int hidden, float* u_then_h, const float* mu,
                  const float* sigma_pre, const NoiseRow* row_keys,
                  const NoiseParams& params) override;
  void inject_noise(int rows, int positions, int hidden, float* x, const NoiseRow* row_keys,
                    const InjectedNoise& noise) override;
  void dropout(int rows, std::size_t per_row, float* x, const NoiseRow* row_keys,
               const DropoutMask& mask) override;
  void argmax(int rows, int vocab, const float* logits, std::int32_t* tokens) override;
  void confidence(int rows, int positions, int prefix, int vocab, const float* logits,
                  const std::int32_t* tokens, const std::int32_t* previous,
                  float* features) override;
  void one_hot(int rows, int positions, int prefix, int vocab, const std::int32_t* tokens,
               float* out) override;

 private:
  ThreadScratch& scratch(int thread) { return scratch_[static_cast<std::size_t>(thread)]; }

  int threads_;
  GemmKernel kernel_;
  ThreadPool pool_;
  std::vector<ThreadScratch> scratch_;  // one per thread of pool_
};

// The Philox key of a sampler's draw on one trajectory (rng/sampler_stream.h).
rng::NoiseKey sampler_key(const SamplerDraw& draw, const NoiseRow& row);

// x = rmsnorm(x + residual) over each of `rows` rows of `width`: the sum of squares runs left
// to right over the row, as the unfused operation has always summed it.
void add_rmsnorm_rows(int rows, int width, float* x, const float* residual, float eps);

// Elementwise passes split into pieces of at least kGrain elements (a few microseconds of
// work), at most two per thread: a smaller pass runs on the calling thread alone.
constexpr std::size_t kGrain = 16384;

// body(first, last) over pieces of [0, count).
template <typename Body>
void parallel_range(ThreadPool& pool, std::size_t count, Body body) {
  const std::size_t most = 2 * static_cast<std::size_t>(pool.threads());
  const auto pieces = static_cast<int>(std::min(most, (count + kGrain - 1) / kGrain));
  pool.run(pieces, [&](int piece, int /*thread*/) {
    body(count * piece / pieces, count * (piece + 1) / pieces);
  });
}

// body(first_row, last_row) over pieces of [0, rows), rows of `width` elements, as
// parallel_range splits elements.
template <typename Body>
void parallel_rows(ThreadPool& pool, int rows, std::size_t width, Body body) {
  const std::size_t most = 2 * static_cast<std::size_t>(pool.threads());
  const std::size_t elements = static_cast<std::size_t>(rows) * std::max<std::size_t>(width, 1);
  const auto pieces = static_cast<int>(
      std::min({most, (elements + kGrain - 1) / kGrain, static_cast<std::size_t>(rows)}));
  pool.run(pieces, [&](int piece, int /*thread*/) {
    body(static_cast<int>(static_cast<std::int64_t>(rows) * piece / pieces),
         static_cast<int>(static_cast<std::int64_t>(rows) * (piece + 1) / pieces));
  });
}

}  // namespace gram::backend
