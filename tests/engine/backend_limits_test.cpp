// A model the backend's kernels cannot run is refused when it is loaded onto the backend
// (RecursiveModel's constructor), with the model and the limit named: the CUDA attention kernel
// handles head_dim <= 128 and seq <= 1024. A CPU backend that reports the CUDA kernel's limits
// stands in for the GPU here; tests/gpu checks the CUDA backend itself.
#include <gtest/gtest.h>

#include <string>

#include "common/delegating_backend.h"
#include "common/error_message.h"
#include "common/tiny_model_config.h"
#include "engine/recursive_model.h"
#include "model/weights.h"

namespace gram {
namespace {

class CudaLimitsBackend : public testing::DelegatingBackend {
 public:
  std::string name() const override { return "cuda"; }
  backend::AttentionLimits attention_limits() const override { return {1024, 128}; }
};

model::ModelConfig attention_config(int hidden, int heads) {
  model::ModelConfig c = testing::tiny_config(model::Mixer::kAttention, true, false,
                                              model::PositionEncoding::kRope, hidden, 8);
  c.num_heads = heads;
  return c;
}

TEST(BackendLimits, HeadDimPastTheKernelsLimitIsRefusedAtLoad) {
  CudaLimitsBackend backend;
  model::Model model = model::random_model(attention_config(160, 1), 1);
  model.source = "models/wide-heads.safetensors";
  EXPECT_EQ(testing_support::error_message([&] { engine::RecursiveModel(model, backend, 2); }),
            "models/wide-heads.safetensors: head_dim 160 (hidden_size 160 / 1 heads) exceeds the "
            "cuda backend's attention limit of 128; use more heads or backend=cpu");
  // Two heads of 80 fit, and the CPU backend has no such limit.
  const model::Model fitting = model::random_model(attention_config(160, 2), 1);
  engine::RecursiveModel loaded(fitting, backend, 2);
  auto cpu = backend::make_cpu_backend(1);
  engine::RecursiveModel on_cpu(model, *cpu, 2);
}

TEST(BackendLimits, SequencesPastTheKernelsLimitAreRefusedAtLoad) {
  CudaLimitsBackend backend;
  model::ModelConfig config = attention_config(16, 2);
  config.prefix_len = 1010;  // 1026 positions
  const model::Model model = model::random_model(config, 1);
  EXPECT_EQ(testing_support::error_message([&] { engine::RecursiveModel(model, backend, 1); }),
            "random model: 1026 positions (prefix_len + seq_len) exceed the cuda backend's "
            "attention limit of 1024; use backend=cpu");
  // mlp_t models have no attention and no such limit.
  const model::Model mlp_t = model::random_model(
      testing::tiny_config(model::Mixer::kMlpT, true, false, model::PositionEncoding::kNone, 16, 8), 1);
  engine::RecursiveModel loaded(mlp_t, backend, 1);
}

}  // namespace
}  // namespace gram
