// ModelConfig JSON parsing and checking, the canonical tensor list, and the compute counts
// against numbers worked out by hand.
#include "model/model_config.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model_test_helpers.h"

namespace gram::model {
namespace {

using json = nlohmann::json;
using testing::error_message;
using testing::has_substr;

json minimal_json() {
  return json::parse(R"({"task": "sudoku:9", "vocab_size": 11, "seq_len": 81, "hidden_size": 64,
                         "num_layers": 2, "ffn_hidden": 128, "l_cycles": 6, "h_cycles": 3,
                         "max_steps": 16, "mixer": "mlp_t", "mlp_t_hidden": 96})");
}

std::string parse_error(const json& config) {
  return error_message([&] { ModelConfig::from_json(config); });
}

TEST(ModelConfigJson, RequiredKeysOnlyTakeDefaults) {
  ModelConfig config = ModelConfig::from_json(minimal_json());
  EXPECT_EQ(config.task, "sudoku:9");
  EXPECT_EQ(config.vocab_size, 11);
  EXPECT_EQ(config.seq_len, 81);
  EXPECT_EQ(config.hidden_size, 64);
  EXPECT_EQ(config.mixer, Mixer::kMlpT);
  EXPECT_EQ(config.mlp_t_hidden, 96);
  ModelConfig defaults;
  EXPECT_EQ(config.format_version, 1);
  EXPECT_EQ(config.prefix_len, defaults.prefix_len);
  EXPECT_EQ(config.position_encoding, PositionEncoding::kNone);
  EXPECT_EQ(config.rope_theta, defaults.rope_theta);
  EXPECT_EQ(config.norm_eps, defaults.norm_eps);
  EXPECT_TRUE(config.shared_networks);
  EXPECT_FALSE(config.noise.enabled);
  EXPECT_EQ(config.noise.sigma_min, defaults.noise.sigma_min);
  EXPECT_EQ(config.halt_rule, HaltRule::kSigmoid);
  EXPECT_FALSE(config.has_value_head);
  EXPECT_NO_THROW(config.validate());
}

TEST(ModelConfigJson, MissingRequiredKey) {
  for (const char* key : {"task", "vocab_size", "seq_len", "hidden_size", "num_layers",
                          "ffn_hidden", "l_cycles", "h_cycles", "max_steps", "mixer"}) {
    json config = minimal_json();
    config.erase(key);
    EXPECT_EQ(parse_error(config), std::string("model config: missing required key '") + key + "'");
  }
}

TEST(ModelConfigJson, UnknownKey) {
  json config = minimal_json();
  config["foo"] = 1;
  EXPECT_EQ(parse_error(config), "model config: unknown key 'foo'");
}

TEST(ModelConfigJson, UnknownNoiseKey) {
  json config = minimal_json();
  config["noise"] = {{"enabled", true}, {"sigma", 0.1}};
  EXPECT_EQ(parse_error(config), "model config: unknown key 'noise.sigma'");
}

TEST(ModelConfigJson, WrongTypes) {
  struct Case {
    const char* key;
    json value;
    const char* message;
  };
  std::vector<Case> cases = {
      {"hidden_size", "64", "'hidden_size' must be an integer, got string"},
      {"hidden_size", 64.5, "'hidden_size' must be an integer, got number"},
      {"task", 9, "'task' must be a string, got number"},
      {"mixer", 1, "'mixer' must be a string (\"mlp_t\", \"attention\"), got number"},
      {"norm_eps", "small", "'norm_eps' must be a number, got string"},
      {"shared_networks", 1, "'shared_networks' must be a boolean, got number"},
      {"noise", true, "'noise' must be an object, got boolean"},
      {"noise", {{"hidden", "8"}}, "'noise.hidden' must be an integer, got string"},
      {"noise", {{"enabled", "yes"}}, "'noise.enabled' must be a boolean, got string"},
  };
  for (const auto& c : cases) {
    json config = minimal_json();
    config[c.key] = c.value;
    EXPECT_EQ(parse_error(config), std::string("model config: ") + c.message) << c.key;
  }
}

TEST(ModelConfigJson, BadValues) {
  json config = minimal_json();
  config["mixer"] = "conv";
  EXPECT_EQ(parse_error(config),
            "model config: 'mixer' must be one of \"mlp_t\", \"attention\", got \"conv\"");
  config = minimal_json();
  config["position_encoding"] = "alibi";
  EXPECT_TRUE(has_substr(parse_error(config), "'position_encoding' must be one of \"none\", \"rope\", \"learned\""));
  config = minimal_json();
  config["halt_rule"] = "never";
  EXPECT_TRUE(has_substr(parse_error(config), "'halt_rule' must be one of \"sigmoid\", \"compare\""));
  config = minimal_json();
  config["vocab_size"] = 4294967296;
  EXPECT_EQ(parse_error(config),
            "model config: 'vocab_size' is 4294967296, outside the 32-bit integer range");
  config = minimal_json();
  config["norm_eps"] = 1e300;
  EXPECT_TRUE(has_substr(parse_error(config), "'norm_eps' is 1e+300, outside the 32-bit float range"));
  EXPECT_TRUE(has_substr(parse_error(json::array()), "model config: must be a JSON object, got array"));
}

TEST(ModelConfigJson, RoundTripKeepsEveryField) {
  ModelConfig config = testing::tiny_attention_config();
  config.position_encoding = PositionEncoding::kRope;
  config.prefix_len = 3;
  config.rope_theta = 1234.5f;
  config.norm_eps = 1e-6f;
  config.noise.sigma_min = 0.01f;
  config.noise.sigma_max = 0.7f;
  config.halt_rule = HaltRule::kCompare;
  config.mlp_t_hidden = 7;
  json first = config.to_json();
  ModelConfig back = ModelConfig::from_json(first);
  EXPECT_EQ(back.to_json(), first);
  EXPECT_EQ(back.task, config.task);
  EXPECT_EQ(back.prefix_len, 3);
  EXPECT_EQ(back.num_heads, config.num_heads);
  EXPECT_EQ(back.mixer, Mixer::kAttention);
  EXPECT_EQ(back.position_encoding, PositionEncoding::kRope);
  EXPECT_EQ(back.rope_theta, 1234.5f);
  EXPECT_EQ(back.norm_eps, 1e-6f);  // floats come back bit-exact
  EXPECT_EQ(back.noise.sigma_min, 0.01f);
  EXPECT_EQ(back.noise.sigma_max, 0.7f);
  EXPECT_TRUE(back.noise.enabled);
  EXPECT_EQ(back.noise.hidden, 3);
  EXPECT_EQ(back.halt_rule, HaltRule::kCompare);
  EXPECT_FALSE(back.shared_networks);
  EXPECT_TRUE(back.has_value_head);
  EXPECT_EQ(back.mlp_t_hidden, 7);
}

TEST(ModelConfigJson, WritesShortFloatsAndEveryKey) {
  json written = testing::tiny_mlp_t_config().to_json();
  EXPECT_EQ(written["norm_eps"].dump(), "1e-05");
  EXPECT_EQ(written["noise"].dump(),
            R"({"enabled":false,"hidden":0,"sigma_max":1.0,"sigma_min":0.001})");
  std::vector<std::string> keys;
  for (const auto& [key, value] : written.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "ffn_hidden", "format_version", "h_cycles", "halt_rule", "has_value_head",
                      "hidden_size", "l_cycles", "max_steps", "mixer", "mlp_t_hidden", "noise",
                      "norm_eps", "num_heads", "num_layers", "position_encoding", "prefix_len",
                      "rope_theta", "seq_len", "shared_networks", "task", "vocab_size"}));
}

// One rule of validate(): how to break a valid config and what the message must say.
struct Rule {
  std::function<void(ModelConfig&)> breaks;
  std::string message;
};

TEST(ModelConfigValidate, EachRuleNamesItsField) {
  std::vector<Rule> rules = {
      {[](ModelConfig& c) { c.format_version = 2; }, "format_version 2 is not supported"},
      {[](ModelConfig& c) { c.task = ""; }, "task must not be empty"},
      {[](ModelConfig& c) { c.vocab_size = 1; }, "vocab_size must be at least 2, got 1"},
      {[](ModelConfig& c) { c.seq_len = 0; }, "seq_len must be positive, got 0"},
      {[](ModelConfig& c) { c.prefix_len = -1; }, "prefix_len must be >= 0, got -1"},
      {[](ModelConfig& c) { c.prefix_len = 2147483647; }, "prefix_len + seq_len overflows"},
      {[](ModelConfig& c) { c.hidden_size = -8; }, "hidden_size must be positive, got -8"},
      {[](ModelConfig& c) { c.num_layers = 0; }, "num_layers must be positive, got 0"},
      {[](ModelConfig& c) { c.num_layers = 5000; }, "num_layers 5000 exceeds the limit"},
      {[](ModelConfig& c) { c.ffn_hidden = 0; }, "ffn_hidden must be positive, got 0"},
      {[](ModelConfig& c) { c.l_cycles = 0; }, "l_cycles must be positive, got 0"},
      {[](ModelConfig& c) { c.h_cycles = 0; }, "h_cycles must be positive, got 0"},
      {[](ModelConfig& c) { c.max_steps = 0; }, "max_steps must be positive, got 0"},
      {[](ModelConfig& c) { c.num_heads = -1; }, "num_heads must be >= 0, got -1"},
      {[](ModelConfig& c) { c.mlp_t_hidden = 0; }, "the mlp_t mixer needs mlp_t_hidden > 0"},
      {[](ModelConfig& c) { c.mixer = Mixer::kAttention; c.num_heads = 0; },
       "the attention mixer needs num_heads > 0"},
      {[](ModelConfig& c) { c.mixer = Mixer::kAttention; c.num_heads = 3; },
       "hidden_size 8 is not divisible by num_heads 3"},
      {[](ModelConfig& c) { c.position_encoding = PositionEncoding::kRope; },
       "position_encoding \"rope\" needs the attention mixer"},
      {[](ModelConfig& c) {
         c.mixer = Mixer::kAttention;
         c.num_heads = 8;  // head_dim 1
         c.position_encoding = PositionEncoding::kRope;
       },
       "position_encoding \"rope\" needs an even head_dim, got 1"},
      {[](ModelConfig& c) { c.rope_theta = 0; }, "rope_theta must be positive"},
      {[](ModelConfig& c) { c.norm_eps = 0; }, "norm_eps must be positive"},
      {[](ModelConfig& c) { c.noise.enabled = true; c.noise.hidden = 0; },
       "noise.enabled needs noise.hidden > 0"},
      {[](ModelConfig& c) { c.noise.hidden = -2; }, "noise.hidden must be >= 0, got -2"},
      {[](ModelConfig& c) { c.noise = {true, 4, 0.0f, 1.0f}; },
       "noise needs 0 < sigma_min <= sigma_max"},
      {[](ModelConfig& c) { c.noise = {true, 4, 0.5f, 0.25f}; },
       "noise needs 0 < sigma_min <= sigma_max"},
      {[](ModelConfig& c) { c.vocab_size = 2000000000; c.hidden_size = 2000000000; c.num_layers = 1000; c.ffn_hidden = 2000000000; },
       "the parameter count does not fit in 64 bits"},
  };
  EXPECT_NO_THROW(testing::tiny_mlp_t_config().validate());
  for (const auto& rule : rules) {
    ModelConfig config = testing::tiny_mlp_t_config();
    rule.breaks(config);
    std::string message = error_message([&] { config.validate(); });
    EXPECT_TRUE(has_substr(message, "model config: " + rule.message));
  }
}

TEST(ExpectedTensors, MlpTSharedWithPrefix) {
  std::vector<TensorSpec> specs = expected_tensors(testing::tiny_mlp_t_config());
  std::vector<std::string> names;
  for (const auto& spec : specs) names.push_back(spec.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "embed.tokens", "embed.prefix", "init.h", "init.l",
                       "net.layers.0.mlp_t.gate_up", "net.layers.0.mlp_t.down",
                       "net.layers.0.ffn.gate_up", "net.layers.0.ffn.down",
                       "net.layers.1.mlp_t.gate_up", "net.layers.1.mlp_t.down",
                       "net.layers.1.ffn.gate_up", "net.layers.1.ffn.down", "head.lm", "head.q",
                       "head.q_bias"}));
  EXPECT_EQ(specs[1].shape, (std::vector<std::int64_t>{2, 8}));   // embed.prefix [P, D]
  EXPECT_EQ(specs[4].shape, (std::vector<std::int64_t>{6, 6}));   // mlp_t.gate_up [2*Ft, S]
  EXPECT_EQ(specs[5].shape, (std::vector<std::int64_t>{6, 3}));   // mlp_t.down [S, Ft]
  EXPECT_EQ(specs[6].shape, (std::vector<std::int64_t>{12, 8}));  // ffn.gate_up [2*F, D]
  EXPECT_EQ(specs[7].shape, (std::vector<std::int64_t>{8, 6}));   // ffn.down [D, F]
  EXPECT_EQ(specs[14].shape, (std::vector<std::int64_t>{2}));
}

TEST(ExpectedTensors, AttentionSeparateNetworksNoiseAndValue) {
  std::vector<TensorSpec> specs = expected_tensors(testing::tiny_attention_config());
  std::vector<std::string> names;
  for (const auto& spec : specs) names.push_back(spec.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "embed.tokens", "embed.position", "init.h", "init.l",
                       "net_l.layers.0.attn.qkv", "net_l.layers.0.attn.out",
                       "net_l.layers.0.ffn.gate_up", "net_l.layers.0.ffn.down",
                       "net_h.layers.0.attn.qkv", "net_h.layers.0.attn.out",
                       "net_h.layers.0.ffn.gate_up", "net_h.layers.0.ffn.down", "head.lm",
                       "head.q", "head.q_bias", "head.value", "head.value_bias", "prior.hidden",
                       "prior.hidden_bias", "prior.mu", "prior.mu_bias", "prior.sigma",
                       "prior.sigma_bias"}));
  EXPECT_EQ(specs[1].shape, (std::vector<std::int64_t>{4, 8}));   // embed.position [S, D]
  EXPECT_EQ(specs[4].shape, (std::vector<std::int64_t>{24, 8}));  // attn.qkv [3D, D]
  EXPECT_EQ(specs[17].shape, (std::vector<std::int64_t>{3, 8}));  // prior.hidden [H, D]
  EXPECT_EQ(specs[19].shape, (std::vector<std::int64_t>{8, 3}));  // prior.mu [D, H]
}

// Hand count: V 5, L 4, P 2 (S 6), D 8, 2 layers, Ft 3, F 6, K 2, T 3.
TEST(ComputeCounts, MlpTByHand) {
  ModelConfig config = testing::tiny_mlp_t_config();
  FlopCounts flops = count_flops(config);
  EXPECT_EQ(flops.per_application, 5184);  // 2 * (6*8*6*3 + 6*6*8*6) = 2 * (864 + 1728)
  EXPECT_EQ(flops.prior_per_transition, 0);
  EXPECT_EQ(flops.per_transition, 15552);  // 3 * 5184
  EXPECT_EQ(flops.heads_per_step, 352);    // 2*4*8*5 + 2*8*2
  EXPECT_EQ(flops.per_step, 47008);        // 3 * 15552 + 352
  EXPECT_EQ(flops.applications_per_step, 9);
  // tokens 40 + prefix 16 + init 16 + 2 layers * (36 + 18 + 96 + 48) + lm 40 + q 16 + q_bias 2
  EXPECT_EQ(count_parameters(config), 526);
}

// Hand count: V 5, L 4, P 0 (S 4), D 8, heads 2, 1 layer, F 4, separate nets, H 3, K 1, T 2.
TEST(ComputeCounts, AttentionByHand) {
  ModelConfig config = testing::tiny_attention_config();
  FlopCounts flops = count_flops(config);
  EXPECT_EQ(flops.per_application, 3328);       // 8*4*64 + 4*16*8 + 6*4*8*4 = 2048 + 512 + 768
  EXPECT_EQ(flops.prior_per_transition, 576);   // 6*4*8*3
  EXPECT_EQ(flops.per_transition, 7232);        // 2 * 3328 + 576
  EXPECT_EQ(flops.heads_per_step, 368);         // 320 + 32 + 16
  EXPECT_EQ(flops.per_step, 14832);             // 2 * 7232 + 368
  EXPECT_EQ(flops.applications_per_step, 4);
  // tokens 40 + position 32 + init 16 + 2 nets * (192 + 64 + 64 + 32) + lm 40 + q 18
  // + value 9 + prior (24 + 3 + 24 + 8 + 24 + 8)
  EXPECT_EQ(count_parameters(config), 950);
}

}  // namespace
}  // namespace gram::model
