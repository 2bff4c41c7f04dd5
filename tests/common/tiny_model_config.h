#pragma once
// The small 4x4 Sudoku model configurations the forward-pass tests run on every architecture
// variant (CPU against its reference, CUDA against the CPU).
#include <ostream>

#include "model/model_config.h"

namespace gram::testing {

struct Variant {
  const char* name;
  model::Mixer mixer;
  bool shared;
  bool noise;
  model::PositionEncoding positions;
};
// GoogleTest names parameterised cases by this (found by argument-dependent lookup).
inline void PrintTo(const Variant& variant, std::ostream* stream) { *stream << variant.name; }

inline model::ModelConfig tiny_config(model::Mixer mixer, bool shared, bool noise,
                                      model::PositionEncoding positions, int hidden,
                                      int noise_hidden) {
  model::ModelConfig c;
  c.task = "sudoku:4";
  c.vocab_size = 6;
  c.seq_len = 16;
  c.prefix_len = 2;
  c.hidden_size = hidden;
  c.num_layers = 2;
  c.mixer = mixer;
  c.num_heads = mixer == model::Mixer::kAttention ? 2 : 0;
  c.position_encoding = positions;
  c.ffn_hidden = hidden * 3 / 2;
  c.mlp_t_hidden = mixer == model::Mixer::kMlpT ? 20 : 0;
  c.l_cycles = 2;
  c.h_cycles = 2;
  c.max_steps = 4;
  c.shared_networks = shared;
  c.noise.enabled = noise;
  c.noise.hidden = noise ? noise_hidden : 0;
  c.noise.sigma_min = 0.05f;
  c.noise.sigma_max = 1.0f;
  c.has_value_head = true;
  return c;
}

}  // namespace gram::testing
