#pragma once
// Shared by the test suites: a backend that hands every operation to a CPU backend, for tests
// that change one answer of the interface (the bytes allocated, the memory capacity, the
// attention limits of the CUDA kernels) and keep the CPU's arithmetic for the rest.
#include <memory>
#include <string>

#include "backend/backend.h"

namespace gram::testing {

class DelegatingBackend : public backend::Backend {
 public:
  DelegatingBackend() : cpu_(backend::make_cpu_backend(1)) {}

  std::string name() const override { return cpu_->name(); }
  std::string describe() const override { return cpu_->describe(); }
  backend::MemoryCapacity memory_capacity() const override { return cpu_->memory_capacity(); }
  backend::AttentionLimits attention_limits() const override { return cpu_->attention_limits(); }
  void* allocate(std::size_t bytes) override { return cpu_->allocate(bytes); }
  void release(void* pointer) override { cpu_->release(pointer); }
  void copy_to_device(void* d, const void* s, std::size_t n) override { cpu_->copy_to_device(d, s, n); }
  void copy_to_host(void* d, const void* s, std::size_t n) override { cpu_->copy_to_host(d, s, n); }
  void copy_on_device(void* d, const void* s, std::size_t n) override { cpu_->copy_on_device(d, s, n); }
  void synchronize() override { cpu_->synchronize(); }
  std::unique_ptr<backend::LinearWeight> prepare_linear(const float* w, int out, int in,
                                                        backend::WeightUse use) override {
    return cpu_->prepare_linear(w, out, in, use);
  }
  void linear(int rows, const float* x, int x_stride, const backend::LinearWeight& w,
              const float* bias, float* y) override {
    cpu_->linear(rows, x, x_stride, w, bias, y);
  }
  void add(std::size_t count, const float* a, const float* b, const float* c, float* out) override {
    cpu_->add(count, a, b, c, out);
  }
  void add_rmsnorm(int rows, int width, float* x, const float* residual, float eps) override {
    cpu_->add_rmsnorm(rows, width, x, residual, eps);
  }
  void swiglu(int rows, int hidden, const float* gate_up, float* out) override {
    cpu_->swiglu(rows, hidden, gate_up, out);
  }
  void silu(std::size_t count, float* x) override { cpu_->silu(count, x); }
  void transpose(int batch, int rows, int cols, const float* in, float* out) override {
    cpu_->transpose(batch, rows, cols, in, out);
  }
  // The CPU's fused blocks: its weights are packed for them (backend::WeightUse).
  void swiglu_block(int tokens, float* x, const backend::LinearWeight& gate_up,
                    const backend::LinearWeight& down, float eps,
                    const backend::BlockWorkspace& workspace,
                    const backend::BlockDropout* dropout) override {
    cpu_->swiglu_block(tokens, x, gate_up, down, eps, workspace, dropout);
  }
  void mlp_t_block(int rows, int positions, int hidden, float* x,
                   const backend::LinearWeight& gate_up, const backend::LinearWeight& down,
                   float eps, const backend::BlockWorkspace& workspace,
                   const backend::BlockDropout* dropout) override {
    cpu_->mlp_t_block(rows, positions, hidden, x, gate_up, down, eps, workspace, dropout);
  }
  void attention(int batch, int seq, int heads, int head_dim, const float* qkv,
                 const float* rope_cos, const float* rope_sin, float* out) override {
    cpu_->attention(batch, seq, heads, head_dim, qkv, rope_cos, rope_sin, out);
  }
  void noise_step(int rows, int positions, int hidden, float* u_then_h, const float* mu,
                  const float* sigma_pre, const backend::NoiseRow* row_keys,
                  const backend::NoiseParams& params) override {
    cpu_->noise_step(rows, positions, hidden, u_then_h, mu, sigma_pre, row_keys, params);
  }
  void inject_noise(int rows, int positions, int hidden, float* x,
                    const backend::NoiseRow* row_keys,
                    const backend::InjectedNoise& noise) override {
    cpu_->inject_noise(rows, positions, hidden, x, row_keys, noise);
  }
  void dropout(int rows, std::size_t per_row, float* x, const backend::NoiseRow* row_keys,
               const backend::DropoutMask& mask) override {
    cpu_->dropout(rows, per_row, x, row_keys, mask);
  }
  void argmax(int rows, int vocab, const float* logits, std::int32_t* tokens) override {
    cpu_->argmax(rows, vocab, logits, tokens);
  }
  void confidence(int rows, int positions, int prefix, int vocab, const float* logits,
                  const std::int32_t* tokens, const std::int32_t* previous,
                  float* features) override {
    cpu_->confidence(rows, positions, prefix, vocab, logits, tokens, previous, features);
  }
  void one_hot(int rows, int positions, int prefix, int vocab, const std::int32_t* tokens,
               float* out) override {
    cpu_->one_hot(rows, positions, prefix, vocab, tokens, out);
  }

 private:
  std::unique_ptr<backend::Backend> cpu_;
};

}  // namespace gram::testing
