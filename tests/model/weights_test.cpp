// Loading, saving and generating models: one test per rejection by the loader, round trips for
// every architecture variant and dtype, and the seeded random model.
#include "model/weights.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model_test_helpers.h"
#include "util/temp_dir.h"

namespace gram::model {
namespace {

using json = nlohmann::json;
using testing::error_message;
using testing::has_substr;

// Saves a random model of `config`, lets `edit` change the file's contents, writes them back and
// returns the loader's error.
std::string load_error_after(const ModelConfig& config,
                             const std::function<void(SafetensorsFile&)>& edit,
                             std::string* path_out = nullptr) {
  gram::testing::TempDir dir;
  std::string path = dir.file("model.safetensors");
  save_model(path, random_model(config, 1));
  SafetensorsFile file = read_safetensors(path);
  edit(file);
  write_safetensors(path, file);
  if (path_out) *path_out = path;
  return error_message([&] { load_model(path); });
}

// Replaces the stored config with `edit` applied to its JSON.
std::function<void(SafetensorsFile&)> edit_config(const std::function<void(json&)>& edit) {
  return [edit](SafetensorsFile& file) {
    json config = json::parse(file.metadata.at("gram_config"));
    edit(config);
    file.metadata["gram_config"] = config.dump();
  };
}

TEST(LoadModel, MissingGramConfig) {
  std::string path;
  std::string message = load_error_after(
      testing::tiny_mlp_t_config(), [](SafetensorsFile& file) { file.metadata.erase("gram_config"); },
      &path);
  EXPECT_EQ(message, path + ": metadata has no 'gram_config' (not a gram-engine model)");
}

TEST(LoadModel, GramConfigNotJson) {
  std::string path;
  std::string message = load_error_after(
      testing::tiny_mlp_t_config(),
      [](SafetensorsFile& file) { file.metadata["gram_config"] = "{\"task\": "; }, &path);
  EXPECT_TRUE(testing::starts_with(message, path + ": metadata 'gram_config' is not valid JSON: "));
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(LoadModel, UnknownConfigKey) {
  std::string path;
  std::string message = load_error_after(
      testing::tiny_mlp_t_config(), edit_config([](json& config) { config["foo"] = 3; }), &path);
  EXPECT_EQ(message, path + ": model config: unknown key 'foo'");
}

TEST(LoadModel, BadConfigValue) {
  std::string path;
  std::string message = load_error_after(
      testing::tiny_attention_config(), edit_config([](json& config) { config["num_heads"] = 3; }),
      &path);
  EXPECT_EQ(message, path + ": model config: hidden_size 8 is not divisible by num_heads 3");
}

TEST(LoadModel, MissingTensor) {
  std::string path;
  std::string message = load_error_after(
      testing::tiny_mlp_t_config(), [](SafetensorsFile& file) { file.tensors.erase("head.lm"); },
      &path);
  EXPECT_EQ(message, path + ": missing tensor 'head.lm' (config expects shape [5, 8])");
}

TEST(LoadModel, UnexpectedTensor) {
  std::string path;
  std::string message = load_error_after(
      testing::tiny_mlp_t_config(),
      [](SafetensorsFile& file) { file.tensors["head.extra"] = from_float32({1}, {1}); }, &path);
  EXPECT_EQ(message, path + ": unexpected tensor 'head.extra' (not part of this config's architecture)");
}

TEST(LoadModel, TensorOfAnotherArchitecture) {
  // A value head stored for a config without one is just as unexpected.
  std::string path;
  std::string message = load_error_after(
      testing::tiny_attention_config(),
      edit_config([](json& config) { config["has_value_head"] = false; }), &path);
  EXPECT_TRUE(has_substr(message, path + ": unexpected tensor 'head.value"));
}

TEST(LoadModel, ShapeMismatch) {
  std::string path;
  std::string message = load_error_after(
      testing::tiny_mlp_t_config(),
      [](SafetensorsFile& file) {
        file.tensors["head.lm"] = from_float32(std::vector<float>(80, 0.5f), {5, 16});
      },
      &path);
  EXPECT_EQ(message, path + ": tensor 'head.lm' has shape [5, 16], config expects [5, 8]");
}

TEST(LoadModel, NaNValue) {
  std::string path;
  std::string message = load_error_after(
      testing::tiny_mlp_t_config(),
      [](SafetensorsFile& file) {
        std::vector<float> values = to_float32(file.tensors.at("embed.tokens"));
        values[17] = std::numeric_limits<float>::quiet_NaN();
        file.tensors["embed.tokens"] = from_float32(values, {5, 8});
      },
      &path);
  EXPECT_EQ(message, path + ": tensor 'embed.tokens' element 17 is NaN");
}

TEST(LoadModel, InfValue) {
  std::string path;
  std::string message = load_error_after(
      testing::tiny_mlp_t_config(),
      [](SafetensorsFile& file) {
        std::vector<float> values = to_float32(file.tensors.at("init.h"));
        values[3] = -std::numeric_limits<float>::infinity();
        file.tensors["init.h"] = from_float32(values, {8}, DType::kBF16);
      },
      &path);
  EXPECT_EQ(message, path + ": tensor 'init.h' element 3 is -Inf");
}

TEST(LoadModel, ContainerErrorsNameThePath) {
  gram::testing::TempDir dir;
  std::string path = dir.write("model.safetensors", "tiny");
  EXPECT_TRUE(testing::starts_with(error_message([&] { load_model(path); }), path + ": file is 4 bytes"));
}

// Random byte flips and truncations of a valid file, mostly in the length and header: the
// loader must answer each with a model or a gram::Error, never a crash or another exception.
TEST(LoadModel, CorruptedFilesFailCleanly) {
  gram::testing::TempDir dir;
  std::string path = dir.file("model.safetensors");
  save_model(path, random_model(testing::tiny_attention_config(), 1));
  const std::string original = gram::testing::read_file(path);
  std::size_t header_end = 8 + static_cast<unsigned char>(original[0]) +
                           256 * static_cast<unsigned char>(original[1]);
  std::mt19937 engine(11);
  int rejected = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    std::string bytes = original;
    if (trial % 10 == 0) {
      bytes.resize(engine() % bytes.size());
    } else {
      for (int flip = 0; flip < 1 + trial % 3; ++flip) {
        std::size_t at = engine() % 5 != 0 ? engine() % header_end : engine() % bytes.size();
        bytes[at] = static_cast<char>(engine());
      }
    }
    std::string corrupt = dir.write("corrupt.safetensors", bytes);
    try {
      load_model(corrupt);
    } catch (const Error& error) {
      ++rejected;
      ASSERT_TRUE(testing::starts_with(error.what(), corrupt + ": "));
      ASSERT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
    } catch (const std::exception& other) {
      FAIL() << "trial " << trial << ": not a gram::Error: " << other.what();
    }
  }
  EXPECT_GT(rejected, 1000);  // most corruptions of the header are caught
}

// Every architecture switch at least once: mixer, shared/separate networks, noise, value head,
// position encoding, prefix length.
std::vector<ModelConfig> variants() {
  std::vector<ModelConfig> configs;
  configs.push_back(testing::tiny_mlp_t_config());  // mlp_t, shared, P 2
  ModelConfig mlp_t_separate = testing::tiny_mlp_t_config();
  mlp_t_separate.prefix_len = 0;
  mlp_t_separate.shared_networks = false;
  mlp_t_separate.has_value_head = true;
  mlp_t_separate.position_encoding = PositionEncoding::kLearned;
  configs.push_back(mlp_t_separate);
  ModelConfig mlp_t_noise = testing::tiny_mlp_t_config();
  mlp_t_noise.prefix_len = 3;
  mlp_t_noise.noise = {true, 5, 0.01f, 0.5f};
  configs.push_back(mlp_t_noise);
  configs.push_back(testing::tiny_attention_config());  // separate, learned, noise, value, P 0
  ModelConfig attention_rope = testing::tiny_attention_config();
  attention_rope.shared_networks = true;
  attention_rope.position_encoding = PositionEncoding::kRope;
  attention_rope.prefix_len = 1;
  attention_rope.noise = {};
  attention_rope.has_value_head = false;
  attention_rope.halt_rule = HaltRule::kCompare;
  configs.push_back(attention_rope);
  return configs;
}

TEST(SaveLoad, RoundTripEveryVariantBitExact) {
  int index = 0;
  for (const ModelConfig& config : variants()) {
    SCOPED_TRACE("variant " + std::to_string(index++));
    gram::testing::TempDir dir;
    std::string path = dir.file("model.safetensors");
    Model model = random_model(config, 42);
    save_model(path, model);
    Model back = load_model(path);
    EXPECT_EQ(back.config.to_json(), config.to_json());
    ASSERT_EQ(back.tensors.size(), expected_tensors(config).size());
    for (const auto& [name, tensor] : model.tensors) {
      ASSERT_TRUE(back.has(name)) << name;
      EXPECT_EQ(back.tensor(name).shape, tensor.shape) << name;
      EXPECT_EQ(back.tensor(name).values, tensor.values) << name;
    }
    SafetensorsFile raw = read_safetensors(path);
    EXPECT_EQ(raw.metadata.at("format"), "gram-engine-model");
    EXPECT_EQ(json::parse(raw.metadata.at("gram_config")), config.to_json());
  }
}

TEST(SaveLoad, HalfPrecisionStoresRoundedValues) {
  for (DType dtype : {DType::kBF16, DType::kF16}) {
    SCOPED_TRACE(dtype_name(dtype));
    gram::testing::TempDir dir;
    std::string path = dir.file("model.safetensors");
    Model model = random_model(testing::tiny_attention_config(), 3);
    save_model(path, model, dtype);
    EXPECT_EQ(read_safetensors(path).tensors.at("head.lm").dtype, dtype);
    Model back = load_model(path);
    for (const auto& [name, tensor] : model.tensors) {
      std::vector<float> rounded = to_float32(from_float32(tensor.values, tensor.shape, dtype));
      EXPECT_EQ(back.tensor(name).values, rounded) << name;
    }
    EXPECT_NE(back.tensor("head.lm").values, model.tensor("head.lm").values);  // really rounded
  }
}

TEST(SaveModel, RefusesWhatLoadWouldRefuse) {
  gram::testing::TempDir dir;
  std::string path = dir.file("model.safetensors");
  Model model = random_model(testing::tiny_mlp_t_config(), 1);
  Model missing = model;
  missing.tensors.erase("init.l");
  EXPECT_EQ(error_message([&] { save_model(path, missing); }),
            path + ": cannot save: missing tensor 'init.l' (config expects shape [8])");
  Model short_values = model;
  short_values.tensors["init.l"].values.pop_back();
  EXPECT_EQ(error_message([&] { save_model(path, short_values); }),
            path + ": cannot save: tensor 'init.l' has 7 values for shape [8]");
  Model large = model;
  large.tensors["init.h"].values[2] = 70000.0f;  // fine in F32 and BF16, Inf in F16
  EXPECT_NO_THROW(save_model(path, large, DType::kBF16));
  EXPECT_EQ(error_message([&] { save_model(path, large, DType::kF16); }),
            path + ": cannot save: tensor 'init.h' as F16: element 2 is +Inf");
  Model invalid = model;
  invalid.config.vocab_size = 1;
  EXPECT_TRUE(has_substr(error_message([&] { save_model(path, invalid); }),
                         path + ": cannot save: model config: vocab_size"));
}

TEST(RandomModel, SameSeedSameBytes) {
  gram::testing::TempDir dir;
  ModelConfig config = testing::tiny_attention_config();
  save_model(dir.file("a"), random_model(config, 7));
  save_model(dir.file("b"), random_model(config, 7));
  save_model(dir.file("c"), random_model(config, 8));
  EXPECT_EQ(gram::testing::read_file(dir.file("a")), gram::testing::read_file(dir.file("b")));
  EXPECT_NE(gram::testing::read_file(dir.file("a")), gram::testing::read_file(dir.file("c")));
}

TEST(RandomModel, PinnedValues) {
  // The generator is mt19937_64 (fixed by the standard) with our own Box-Muller, so these
  // numbers hold for every compiler. They were computed by an independent Python
  // implementation of both; the tolerance absorbs the rounding to float.
  Model model = random_model(testing::tiny_mlp_t_config(), 1);
  const auto& tokens = model.tensor("embed.tokens").values;
  const double embed_std = 1 / std::sqrt(8.0);
  EXPECT_NEAR(tokens[0] / embed_std, 1.3128515289855616, 1e-6);
  EXPECT_NEAR(tokens[1] / embed_std, 1.515946504006063, 1e-6);
  // The 509th draw: tensors are filled in expected_tensors order and biases draw nothing.
  EXPECT_NEAR(model.tensor("head.q").values[0] * std::sqrt(8.0), -1.7550707993258847, 1e-6);
}

TEST(RandomModel, InitialisationFollowsTheFormat) {
  ModelConfig config = testing::tiny_attention_config();
  config.hidden_size = 64;
  config.num_heads = 4;
  config.ffn_hidden = 256;
  Model model = random_model(config, 5);
  EXPECT_EQ(model.tensor("head.q_bias").values, (std::vector<float>{-5.0f, 0.0f}));
  EXPECT_EQ(model.tensor("prior.sigma_bias").values, std::vector<float>(64, -2.0f));
  for (const char* bias : {"head.value_bias", "prior.hidden_bias", "prior.mu_bias"}) {
    for (float value : model.tensor(bias).values) EXPECT_EQ(value, 0.0f) << bias;
  }
  auto std_of = [&](const std::string& name) {
    const auto& values = model.tensor(name).values;
    double sum = 0;
    double squares = 0;
    for (float value : values) {
      sum += value;
      squares += static_cast<double>(value) * value;
    }
    double mean = sum / values.size();
    return std::sqrt(squares / values.size() - mean * mean);
  };
  // Sample standard deviations of thousands of draws land within a few percent.
  EXPECT_NEAR(std_of("net_l.layers.0.ffn.gate_up"), 1 / std::sqrt(64.0), 0.01);   // in = D
  EXPECT_NEAR(std_of("net_h.layers.0.ffn.down"), 1 / std::sqrt(256.0), 0.004);    // in = F
  EXPECT_NEAR(std_of("net_l.layers.0.attn.qkv"), 1 / std::sqrt(64.0), 0.01);
  EXPECT_NEAR(std_of("embed.tokens"), 1 / std::sqrt(64.0), 0.02);
  EXPECT_NEAR(std_of("init.h"), 1.0, 0.3);
  EXPECT_NE(model.tensor("init.h").values, model.tensor("init.l").values);
  EXPECT_NE(model.tensor("net_l.layers.0.ffn.down").values, model.tensor("net_h.layers.0.ffn.down").values);
}

TEST(RandomModel, RejectsInvalidConfig) {
  ModelConfig config = testing::tiny_mlp_t_config();
  config.mlp_t_hidden = 0;
  EXPECT_EQ(error_message([&] { random_model(config, 1); }),
            "model config: the mlp_t mixer needs mlp_t_hidden > 0");
}

TEST(Model, TensorLookup) {
  Model model = random_model(testing::tiny_mlp_t_config(), 1);
  EXPECT_EQ(model.tensor("head.lm").numel(), 40);
  EXPECT_TRUE(model.has("embed.prefix"));
  EXPECT_FALSE(model.has("embed.position"));
  std::string message = error_message([&] { model.tensor("embed.position"); });
  EXPECT_TRUE(has_substr(message, "internal check failed"));
  EXPECT_TRUE(has_substr(message, "'embed.position'"));
}

}  // namespace
}  // namespace gram::model
