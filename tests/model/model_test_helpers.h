#pragma once
// Shared by the model tests: hand-made safetensors files, small configs, error capture.
#include "common/error_message.h"
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include "model/model_config.h"
#include "util/error.h"

namespace gram::model::testing {

// The bytes of a safetensors file with this header text and data section, exactly as given
// (no padding), so tests can build files a correct writer would never produce.
inline std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  std::string bytes(8, '\0');
  std::uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(length >> (8 * i));
  return bytes + header + data;
}

// Message checks that print the whole message on failure (gmock is not linked).
inline ::testing::AssertionResult has_substr(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}
inline ::testing::AssertionResult starts_with(const std::string& text, const std::string& start) {
  if (text.rfind(start, 0) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not start with '" << start << "'";
}

using gram::testing_support::error_message;

// A small TRM-like model: mlp_t mixer, one shared network, P = 2, no noise, no value head.
inline ModelConfig tiny_mlp_t_config() {
  ModelConfig config;
  config.task = "sudoku:4";
  config.vocab_size = 5;
  config.seq_len = 4;
  config.prefix_len = 2;
  config.hidden_size = 8;
  config.num_layers = 2;
  config.mixer = Mixer::kMlpT;
  config.mlp_t_hidden = 3;
  config.ffn_hidden = 6;
  config.l_cycles = 2;
  config.h_cycles = 3;
  config.max_steps = 4;
  return config;
}

// A small GRAM-like model: attention with learned positions, separate networks, noise, value head.
inline ModelConfig tiny_attention_config() {
  ModelConfig config;
  config.task = "nqueens:4";
  config.vocab_size = 5;
  config.seq_len = 4;
  config.prefix_len = 0;
  config.hidden_size = 8;
  config.num_layers = 1;
  config.num_heads = 2;
  config.mixer = Mixer::kAttention;
  config.position_encoding = PositionEncoding::kLearned;
  config.ffn_hidden = 4;
  config.l_cycles = 1;
  config.h_cycles = 2;
  config.max_steps = 3;
  config.shared_networks = false;
  config.noise.enabled = true;
  config.noise.hidden = 3;
  config.has_value_head = true;
  return config;
}

}  // namespace gram::model::testing
