#pragma once
// The architecture of a recursive latent reasoning model (TRM / HRM / GRAM family).
//
// Stored as JSON in the safetensors `__metadata__` under the key "gram_config"
// (docs/model-format.md lists every field). Parsing rejects unknown keys and impossible values
// with one line naming the field, so a config typo can never silently change the model.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace gram::model {

enum class Mixer { kMlpT, kAttention };
enum class PositionEncoding { kNone, kRope, kLearned };
// How a trajectory decides to stop: GRAM/TRM sigmoid(q_halt) > 0.5; HRM q_halt > q_continue.
enum class HaltRule { kSigmoid, kCompare };

// The GRAM prior on the high-level transition: h = u + mu(u) + sigma(u) * eps.
//   a     = silu(W_hidden u + b_hidden)                       (hidden)
//   mu    = W_mu a + b_mu                                      (D)
//   sigma = min(sigma_min + softplus(W_sigma a + b_sigma), sigma_max)   (D)
struct NoiseConfig {
  bool enabled = false;
  int hidden = 0;          // width of the prior's hidden layer
  float sigma_min = 1e-3f;
  float sigma_max = 1.0f;
};

struct ModelConfig {
  int format_version = 1;
  std::string task;            // TaskSpec text, e.g. "sudoku:9"
  int vocab_size = 0;          // V
  int seq_len = 0;             // L, puzzle tokens
  int prefix_len = 0;          // P, puzzle-embedding positions prepended (learned vectors)
  int hidden_size = 0;         // D
  int num_layers = 0;          // blocks per network
  int num_heads = 0;           // attention heads (attention mixer only)
  Mixer mixer = Mixer::kMlpT;
  PositionEncoding position_encoding = PositionEncoding::kNone;
  float rope_theta = 10000.0f;
  int ffn_hidden = 0;          // SwiGLU width along the hidden axis
  int mlp_t_hidden = 0;        // SwiGLU width along the sequence axis (mlp_t mixer only)
  int l_cycles = 0;            // K: low-level updates per transition
  int h_cycles = 0;            // T: transitions per supervision step
  int max_steps = 0;           // supervision steps the model was trained for
  bool shared_networks = true; // TRM: one network for both levels; HRM: F_L and F_H
  float norm_eps = 1e-5f;
  NoiseConfig noise;
  HaltRule halt_rule = HaltRule::kSigmoid;
  bool has_value_head = false; // LPRM value head on h[0]

  int positions() const { return prefix_len + seq_len; }  // P + L
  int head_dim() const { return num_heads > 0 ? hidden_size / num_heads : 0; }

  // Throws gram::Error naming the field for unknown keys, wrong types, impossible values.
  static ModelConfig from_json(const nlohmann::json& json);
  nlohmann::json to_json() const;
  void validate() const;
};

// A tensor the config requires: canonical name, shape (row-major, PyTorch Linear is [out, in]).
struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;
};
// Every tensor a model with this config must have, in a stable order (docs/model-format.md).
std::vector<TensorSpec> expected_tensors(const ModelConfig& config);

// Compute accounting (science.md s3). FLOPs count GEMMs as 2*m*n*k and the attention score and
// value products; elementwise work (norms, activations, RoPE, noise) is excluded.
struct FlopCounts {
  double per_application = 0;      // one pass of F over P+L positions of one trajectory
  double prior_per_transition = 0; // mu/sigma network (0 for deterministic models)
  double per_transition = 0;       // (K + 1) applications + prior
  double heads_per_step = 0;       // LM head over L positions, halt and value heads
  double per_step = 0;             // T transitions + heads
  std::int64_t applications_per_step = 0;  // T * (K + 1)
};
FlopCounts count_flops(const ModelConfig& config);
std::int64_t count_parameters(const ModelConfig& config);

}  // namespace gram::model
