// Verifier files (model/verifier.h): the round trip, one test per rejection of the loader, and
// the fit check that names both files.
#include "model/verifier.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "model/model_test_helpers.h"
#include "model/safetensors.h"
#include "util/temp_dir.h"

namespace gram::model {
namespace {

using json = nlohmann::json;
using testing::error_message;

VerifierConfig mlp_shape() {
  VerifierConfig shape;
  shape.reads_h = true;
  shape.reads_l = true;
  shape.all_positions = true;
  shape.hidden = 4;
  shape.objective = "contrastive";
  shape.training = {{"puzzles", 10}};
  return shape;
}

// Saves a verifier for the tiny model, lets `edit` change the file, and returns the load error.
std::string load_error_after(const std::function<void(SafetensorsFile&)>& edit,
                             std::string* path_out = nullptr) {
  gram::testing::TempDir dir;
  const std::string path = dir.file("v.safetensors");
  save_verifier(path, random_verifier(testing::tiny_mlp_t_config(), mlp_shape(), 1));
  SafetensorsFile file = read_safetensors(path);
  edit(file);
  write_safetensors(path, file);
  if (path_out) *path_out = path;
  return error_message([&] { load_verifier(path); });
}

std::function<void(SafetensorsFile&)> edit_config(const std::function<void(json&)>& edit) {
  return [edit](SafetensorsFile& file) {
    json config = json::parse(file.metadata.at("gram_verifier"));
    edit(config);
    file.metadata["gram_verifier"] = config.dump();
  };
}

TEST(VerifierFile, RoundTripKeepsConfigAndValues) {
  gram::testing::TempDir dir;
  const ModelConfig model = testing::tiny_mlp_t_config();
  const Verifier saved = random_verifier(model, mlp_shape(), 3);
  save_verifier(dir.file("v.safetensors"), saved);
  const Verifier loaded = load_verifier(dir.file("v.safetensors"));
  EXPECT_EQ(loaded.config.to_json(), saved.config.to_json());
  EXPECT_EQ(loaded.config.input_size(), 6 * 8);  // P + L = 6 positions of D = 8
  ASSERT_EQ(loaded.tensors.size(), 5u);
  for (const auto& [name, tensor] : saved.tensors) {
    EXPECT_EQ(loaded.tensor(name).shape, tensor.shape) << name;
    EXPECT_EQ(loaded.tensor(name).values, tensor.values) << name;
  }
  EXPECT_EQ(loaded.tensor("verifier.in_h").shape, (std::vector<std::int64_t>{4, 48}));
  const SafetensorsFile file = read_safetensors(dir.file("v.safetensors"));
  EXPECT_EQ(file.metadata.at("format"), "gram-engine-verifier");
  // A linear verifier of position 0: one row per state, no output layer.
  VerifierConfig linear;
  linear.hidden = 0;
  const Verifier small = random_verifier(model, linear, 3);
  EXPECT_EQ(small.tensors.size(), 2u);
  EXPECT_EQ(small.tensor("verifier.in_h").shape, (std::vector<std::int64_t>{1, 8}));
  // The confidence input alone: six statistics into the hidden layer.
  VerifierConfig confident = mlp_shape();
  confident.reads_h = confident.reads_l = false;
  confident.reads_confidence = true;
  save_verifier(dir.file("c.safetensors"), random_verifier(model, confident, 4));
  const Verifier reloaded = load_verifier(dir.file("c.safetensors"));
  EXPECT_EQ(reloaded.config.to_json()["states"], json::array({"confidence"}));
  EXPECT_EQ(reloaded.tensor("verifier.in_confidence").shape, (std::vector<std::int64_t>{4, 6}));
  EXPECT_FALSE(reloaded.tensors.contains("verifier.in_h"));
  // The answer one-hot: L V inputs, L and V recorded in the model object.
  confident.reads_answer = true;
  save_verifier(dir.file("a.safetensors"), random_verifier(model, confident, 5));
  const Verifier answered = load_verifier(dir.file("a.safetensors"));
  EXPECT_EQ(answered.config.to_json()["model"]["seq_len"], model.seq_len);
  EXPECT_EQ(answered.tensor("verifier.in_answer").shape,
            (std::vector<std::int64_t>{4, std::int64_t{model.seq_len} * model.vocab_size}));
}

TEST(VerifierFile, MissingMetadataIsNotAVerifier) {
  std::string path;
  const std::string message = load_error_after(
      [](SafetensorsFile& file) { file.metadata.erase("gram_verifier"); }, &path);
  EXPECT_EQ(message, path + ": metadata has no 'gram_verifier' (not a gram-engine verifier)");
}

// The error of the file `edit` spoils, with its path replaced by "V".
std::string error_of(const std::function<void(SafetensorsFile&)>& edit) {
  std::string path;
  std::string message = load_error_after(edit, &path);
  if (message.rfind(path, 0) == 0) message.replace(0, path.size(), "V");
  return message;
}

TEST(VerifierFile, ConfigErrorsNameTheField) {
  EXPECT_EQ(error_of(edit_config([](json& c) { c["hiden"] = 4; })),
            "V: verifier config: unknown key 'hiden'");
  EXPECT_EQ(error_of(edit_config([](json& c) { c.erase("positions"); })),
            "V: verifier config: missing key 'positions'");
  EXPECT_EQ(error_of(edit_config([](json& c) { c["states"] = json::array({"h", "x"}); })),
            "V: verifier config: 'states' items must be \"h\", \"l\", \"confidence\" or \"answer\", got \"x\"");
  EXPECT_EQ(error_of(edit_config([](json& c) {
              c["states"] = json::array({"h", "answer"});
              c["model"].erase("vocab_size");
            })),
            "V: verifier config: reading \"answer\" needs 'model.seq_len' and 'model.vocab_size'");
  EXPECT_EQ(error_of(edit_config([](json& c) { c["states"] = json::array({"confidence", "confidence"}); })),
            "V: verifier config: 'states' names \"confidence\" twice");
  EXPECT_EQ(error_of(edit_config([](json& c) { c["positions"] = "middle"; })),
            "V: verifier config: 'positions' must be \"first\" or \"all\", got \"middle\"");
  EXPECT_EQ(error_of(edit_config([](json& c) { c["hidden"] = "4"; })),
            "V: verifier config: 'hidden' must be an integer, got string");
  EXPECT_EQ(error_of(edit_config([](json& c) { c["model"]["hidden"] = 8; })),
            "V: verifier config: unknown key 'model.hidden'");
  EXPECT_EQ(error_of(edit_config([](json& c) { c["model"].erase("positions"); })),
            "V: verifier config: missing key 'model.positions'");
  const std::string not_json =
      error_of([](SafetensorsFile& file) { file.metadata["gram_verifier"] = "{\"states\": "; });
  EXPECT_TRUE(testing::starts_with(not_json, "V: metadata 'gram_verifier' is not valid JSON: "));
}

TEST(VerifierFile, TensorErrorsNameTheTensor) {
  EXPECT_EQ(error_of([](SafetensorsFile& f) { f.tensors.erase("verifier.out"); }),
            "V: missing tensor 'verifier.out' (its config expects shape [1, 4])");
  EXPECT_EQ(error_of([](SafetensorsFile& f) {
              f.tensors.emplace("verifier.extra", from_float32({1.0f}, {1}));
            }),
            "V: unexpected tensor 'verifier.extra' (not part of this verifier)");
  EXPECT_EQ(error_of([](SafetensorsFile& f) {
              f.tensors["verifier.in_bias"] = from_float32({0, 0, 0, 0, 0}, {5});
            }),
            "V: tensor 'verifier.in_bias' has shape [5], its config expects [4]");
  EXPECT_EQ(error_of([](SafetensorsFile& f) {
              f.tensors["verifier.out_bias"] =
                  from_float32({std::numeric_limits<float>::quiet_NaN()}, {1});
            }),
            "V: tensor 'verifier.out_bias' element 0 is NaN");
}

// The shape a verifier reads must be the model's; the error names both files.
TEST(VerifierFile, ShapeThatDoesNotFitTheModelNamesBothFiles) {
  Model model = random_model(testing::tiny_mlp_t_config(), 1);
  model.source = "m.safetensors";
  Verifier verifier = random_verifier(model.config, mlp_shape(), 1);
  verifier.source = "v.safetensors";
  EXPECT_NO_THROW(check_verifier_fits(verifier, model));
  Model wider = random_model([] {
    ModelConfig c = testing::tiny_mlp_t_config();
    c.hidden_size = 16;
    return c;
  }(), 1);
  wider.source = "wide.safetensors";
  EXPECT_EQ(error_message([&] { check_verifier_fits(verifier, wider); }),
            "v.safetensors: the verifier reads states of hidden_size 8 at 6 positions (sudoku:4), "
            "but wide.safetensors has hidden_size 16 at 6 positions (sudoku:4)");
  verifier.config.model_task = "nqueens:4";
  EXPECT_EQ(error_message([&] { check_verifier_fits(verifier, model); }),
            "v.safetensors: the verifier reads states of hidden_size 8 at 6 positions (nqueens:4), "
            "but m.safetensors has hidden_size 8 at 6 positions (sudoku:4)");
  verifier.config.model_task = "sudoku:4";
  verifier.config.reads_answer = true;
  verifier.config.model_vocab_size = model.config.vocab_size + 1;
  EXPECT_EQ(error_message([&] { check_verifier_fits(verifier, model); }),
            "v.safetensors: the verifier reads answers of " + std::to_string(model.config.seq_len) +
                " cells of " + std::to_string(model.config.vocab_size + 1) +
                " tokens, but m.safetensors answers " + std::to_string(model.config.seq_len) +
                " cells of " + std::to_string(model.config.vocab_size));
}

}  // namespace
}  // namespace gram::model
