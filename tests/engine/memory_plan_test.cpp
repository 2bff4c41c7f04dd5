// The memory estimate against what RecursiveModel really allocates, and the row-cap plan: lowered
// to fit a limit, refused with the figures when one row does not fit.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "backend/backend.h"
#include "common/error_message.h"
#include "common/tiny_model_config.h"
#include "engine/memory_plan.h"
#include "engine/recursive_model.h"

namespace gram {
namespace {

// The CPU backend, counting the bytes allocated through it.
class CountingBackend : public backend::Backend {
 public:
  CountingBackend() : cpu_(backend::make_cpu_backend(1)) {}
  std::size_t allocated = 0;

  std::string name() const override { return cpu_->name(); }
  std::string describe() const override { return cpu_->describe(); }
  void* allocate(std::size_t bytes) override {
    allocated += bytes;
    return cpu_->allocate(bytes);
  }
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
  void swiglu_block(int tokens, float* x, const backend::LinearWeight& gate_up,
                    const backend::LinearWeight& down, float eps,
                    const backend::BlockWorkspace& workspace) override {
    cpu_->swiglu_block(tokens, x, gate_up, down, eps, workspace);
  }
  void mlp_t_block(int rows, int positions, int hidden, float* x,
                   const backend::LinearWeight& gate_up, const backend::LinearWeight& down,
                   float eps, const backend::BlockWorkspace& workspace) override {
    cpu_->mlp_t_block(rows, positions, hidden, x, gate_up, down, eps, workspace);
  }
  void transpose(int batch, int rows, int cols, const float* in, float* out) override {
    cpu_->transpose(batch, rows, cols, in, out);
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
  void argmax(int rows, int vocab, const float* logits, std::int32_t* tokens) override {
    cpu_->argmax(rows, vocab, logits, tokens);
  }

 private:
  std::unique_ptr<backend::Backend> cpu_;
};

std::size_t allocated_for(const model::Model& model, int rows) {
  CountingBackend counting;
  engine::RecursiveModel recursive(model, counting, rows);
  return counting.allocated;
}

class MemoryEstimate : public ::testing::TestWithParam<testing::Variant> {};

// Every row buffer is counted (the estimate is what the allocations grow by per row), and the
// weights are not underestimated (the host-only embeddings make the estimate a little high).
TEST_P(MemoryEstimate, MatchesTheAllocationsOfRecursiveModel) {
  const testing::Variant v = GetParam();
  const model::ModelConfig config = testing::tiny_config(v.mixer, v.shared, v.noise, v.positions, 16, 12);
  const model::Model model = model::random_model(config, 3);
  const engine::MemoryEstimate estimate = engine::estimate_memory(config, 10, 0);
  const std::size_t one = allocated_for(model, 1);
  const std::size_t five = allocated_for(model, 5);
  EXPECT_EQ(five - one, 4 * estimate.row_bytes);
  EXPECT_GE(estimate.weight_bytes, one - estimate.row_bytes);
  EXPECT_LE(estimate.weight_bytes, 2 * (one - estimate.row_bytes));
  EXPECT_GT(estimate.result_bytes, 10u * config.seq_len * sizeof(std::int32_t));
  EXPECT_GT(engine::estimate_memory(config, 10, 8).result_bytes, estimate.result_bytes);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, MemoryEstimate,
    ::testing::Values(
        testing::Variant{"mlp_t", model::Mixer::kMlpT, true, true, model::PositionEncoding::kLearned},
        testing::Variant{"attention_rope", model::Mixer::kAttention, false, true,
                         model::PositionEncoding::kRope},
        testing::Variant{"attention_plain", model::Mixer::kAttention, true, false,
                         model::PositionEncoding::kLearned}),
    [](const ::testing::TestParamInfo<testing::Variant>& info) { return info.param.name; });

TEST(PlanRows, LowersTheRowCapToFitTheLimit) {
  const engine::MemoryEstimate estimate{1000, 100, 500};
  EXPECT_EQ(engine::plan_rows(estimate, 64, 2050).row_cap, 5);  // (2050 - 1500) / 100
  EXPECT_EQ(engine::plan_rows(estimate, 64, 2050).needed_bytes, 2000u);
  EXPECT_EQ(engine::plan_rows(estimate, 3, 2050).row_cap, 3);   // already fits
  EXPECT_EQ(engine::plan_rows(estimate, 64, 1600).row_cap, 1);  // exactly one row
}

TEST(PlanRows, RefusesWithTheFiguresWhenOneRowDoesNotFit) {
  const engine::MemoryEstimate estimate{1u << 20, 4096, 2048};
  const std::string message = testing_support::error_message(
      [&] { engine::plan_rows(estimate, 8, 1u << 20); });
  EXPECT_EQ(message,
            "memory: the run needs 1.01 MiB with a single row (weights 1.00 MiB, results 2.00 KiB, "
            "4.00 KiB per row) but memory_limit is 1.00 MiB; lower width, limit or the model "
            "size, or raise memory_limit");
}

TEST(PlanRows, DefaultsToTheMachinesAvailableMemory) {
  const std::uint64_t available = engine::available_memory_bytes();
  if (available == 0) GTEST_SKIP() << "/proc/meminfo has no MemAvailable here";
  const engine::MemoryEstimate small{1000, 100, 0};
  const engine::RowPlan plan = engine::plan_rows(small, 16, 0);
  EXPECT_EQ(plan.row_cap, 16);
  // MemAvailable moves while other processes run, so the limit read inside plan_rows is the
  // figure read above only up to that drift: within a factor of two of it, never zero.
  EXPECT_GT(plan.limit_bytes, available / 2);
  EXPECT_LT(plan.limit_bytes, available * 2);
  const engine::MemoryEstimate huge{available * 4, 100, 0};
  const std::string message = testing_support::error_message([&] { engine::plan_rows(huge, 16, 0); });
  EXPECT_NE(message.find(" is available"), std::string::npos) << message;
}

TEST(FormatBytes, PicksTheUnit) {
  EXPECT_EQ(engine::format_bytes(12), "12 bytes");
  EXPECT_EQ(engine::format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(engine::format_bytes(3ull << 30), "3.00 GiB");
}

}  // namespace
}  // namespace gram
