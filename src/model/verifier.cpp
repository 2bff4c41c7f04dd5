// Verifier files: the "gram_verifier" config, the tensor table, load, save, fit and FLOPs.
#include "model/verifier.h"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "model/normal_source.h"
#include "model/safetensors.h"
#include "util/error.h"
#include "util/hash.h"

namespace gram::model {
namespace {

using json = nlohmann::json;

constexpr const char* kMetadataKey = "gram_verifier";
constexpr const char* kFormatName = "gram-engine-verifier";

[[noreturn]] void fail(const std::string& message) { throw Error("verifier config: " + message); }

std::string got(const json& value) { return std::string(", got ") + value.type_name(); }

// A positive 32-bit integer (or >= 0 when `zero_ok`) at `object[key]`, named `name` in errors.
int read_int(const json& object, const std::string& key, const std::string& name, bool zero_ok) {
  const json& value = object.at(key);
  if (!value.is_number_integer()) fail("'" + name + "' must be an integer" + got(value));
  const std::int64_t number = value.get<std::int64_t>();
  if (number < (zero_ok ? 0 : 1) || number > (1 << 30)) {
    fail("'" + name + "' is " + value.dump() + (zero_ok ? ", must be >= 0" : ", must be >= 1"));
  }
  return static_cast<int>(number);
}

void require_keys(const json& object, const std::string& prefix,
                  const std::set<std::string>& required, const std::set<std::string>& optional) {
  for (const auto& [key, value] : object.items()) {
    if (!required.contains(key) && !optional.contains(key)) {
      fail("unknown key '" + prefix + key + "'");
    }
  }
  for (const std::string& key : required) {
    if (!object.contains(key)) fail("missing key '" + prefix + key + "'");
  }
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

std::int64_t VerifierConfig::input_size() const {
  return static_cast<std::int64_t>(model_hidden_size) * (all_positions ? model_positions : 1);
}

VerifierConfig VerifierConfig::from_json(const json& json_config) {
  if (!json_config.is_object()) fail("must be a JSON object" + got(json_config));
  require_keys(json_config, "", {"format_version", "states", "positions", "hidden", "model"},
               {"objective", "training"});
  VerifierConfig config;
  config.format_version = read_int(json_config, "format_version", "format_version", false);
  if (config.format_version != 1) fail("'format_version' is " + std::to_string(config.format_version) + ", only 1 exists");

  const json& states = json_config.at("states");
  if (!states.is_array() || states.empty()) {
    fail("'states' must be a non-empty array of \"h\", \"l\", \"confidence\", \"answer\"" + got(states));
  }
  config.reads_h = config.reads_l = config.reads_confidence = config.reads_answer = false;
  for (const json& state : states) {
    bool* reads = state == "h" ? &config.reads_h
                  : state == "l" ? &config.reads_l
                  : state == "confidence" ? &config.reads_confidence
                  : state == "answer" ? &config.reads_answer : nullptr;
    if (reads == nullptr) {
      fail("'states' items must be \"h\", \"l\", \"confidence\" or \"answer\", got " + state.dump());
    }
    if (*reads) fail("'states' names " + state.dump() + " twice");
    *reads = true;
  }
  const json& positions = json_config.at("positions");
  if (positions != "first" && positions != "all") {
    fail("'positions' must be \"first\" or \"all\", got " + positions.dump());
  }
  config.all_positions = positions == "all";
  config.hidden = read_int(json_config, "hidden", "hidden", true);

  const json& model = json_config.at("model");
  if (!model.is_object()) fail("'model' must be an object" + got(model));
  require_keys(model, "model.", {"hidden_size", "positions"},
               {"task", "file", "fnv1a64", "seq_len", "vocab_size"});
  config.model_hidden_size = read_int(model, "hidden_size", "model.hidden_size", false);
  config.model_positions = read_int(model, "positions", "model.positions", false);
  if (model.contains("task")) {
    if (!model.at("task").is_string()) fail("'model.task' must be a string" + got(model.at("task")));
    config.model_task = model.at("task").get<std::string>();
  }
  if (model.contains("seq_len")) config.model_seq_len = read_int(model, "seq_len", "model.seq_len", false);
  if (model.contains("vocab_size")) {
    config.model_vocab_size = read_int(model, "vocab_size", "model.vocab_size", false);
  }
  if (config.reads_answer && (config.model_seq_len == 0 || config.model_vocab_size == 0)) {
    fail("reading \"answer\" needs 'model.seq_len' and 'model.vocab_size'");
  }
  config.model_record = model;
  if (json_config.contains("objective")) {
    if (!json_config.at("objective").is_string()) fail("'objective' must be a string" + got(json_config.at("objective")));
    config.objective = json_config.at("objective").get<std::string>();
  }
  if (json_config.contains("training")) {
    if (!json_config.at("training").is_object()) fail("'training' must be an object" + got(json_config.at("training")));
    config.training = json_config.at("training");
  }
  return config;
}

json VerifierConfig::to_json() const {
  json states = json::array();
  if (reads_h) states.push_back("h");
  if (reads_l) states.push_back("l");
  if (reads_confidence) states.push_back("confidence");
  if (reads_answer) states.push_back("answer");
  json model = model_record;
  model["hidden_size"] = model_hidden_size;
  model["positions"] = model_positions;
  if (!model_task.empty()) model["task"] = model_task;
  if (model_seq_len > 0) model["seq_len"] = model_seq_len;
  if (model_vocab_size > 0) model["vocab_size"] = model_vocab_size;
  json result = {{"format_version", format_version}, {"states", states},
                 {"positions", all_positions ? "all" : "first"}, {"hidden", hidden},
                 {"model", model}, {"training", training}};
  if (!objective.empty()) result["objective"] = objective;
  return result;
}

const HostTensor& Verifier::tensor(const std::string& name) const {
  const auto found = tensors.find(name);
  GRAM_ASSERT(found != tensors.end(), "verifier has no tensor '" + name + "'");
  return found->second;
}

std::vector<TensorSpec> verifier_tensors(const VerifierConfig& config) {
  const std::int64_t width = config.first_layer_width();
  std::vector<TensorSpec> specs;
  if (config.reads_h) specs.push_back({"verifier.in_h", {width, config.input_size()}});
  if (config.reads_l) specs.push_back({"verifier.in_l", {width, config.input_size()}});
  if (config.reads_confidence) {
    specs.push_back({"verifier.in_confidence", {width, kConfidenceInputs}});
  }
  if (config.reads_answer) specs.push_back({"verifier.in_answer", {width, config.answer_size()}});
  specs.push_back({"verifier.in_bias", {width}});
  if (config.hidden > 0) {
    specs.push_back({"verifier.out", {1, config.hidden}});
    specs.push_back({"verifier.out_bias", {1}});
  }
  return specs;
}

Verifier load_verifier(const std::string& path) {
  SafetensorsFile file = read_safetensors(path);
  const auto text = file.metadata.find(kMetadataKey);
  if (text == file.metadata.end()) {
    throw Error(path + ": metadata has no 'gram_verifier' (not a gram-engine verifier)");
  }
  Verifier verifier;
  verifier.source = path;
  try {
    verifier.config = VerifierConfig::from_json(json::parse(text->second));
  } catch (const json::exception& error) {
    std::string message = error.what();
    const auto bracket = message.find("] ");  // drop nlohmann's "[json.exception....] "
    if (bracket != std::string::npos) message = message.substr(bracket + 2);
    throw Error(path + ": metadata 'gram_verifier' is not valid JSON: " + message);
  } catch (const Error& error) {
    throw Error(path + ": " + error.what());
  }
  std::set<std::string> expected;
  for (const TensorSpec& spec : verifier_tensors(verifier.config)) {
    expected.insert(spec.name);
    const auto raw = file.tensors.find(spec.name);
    if (raw == file.tensors.end()) {
      throw Error(path + ": missing tensor '" + spec.name + "' (its config expects shape " +
                  shape_text(spec.shape) + ")");
    }
    if (raw->second.shape != spec.shape) {
      throw Error(path + ": tensor '" + spec.name + "' has shape " + shape_text(raw->second.shape) +
                  ", its config expects " + shape_text(spec.shape));
    }
  }
  for (auto& [name, raw] : file.tensors) {
    if (!expected.contains(name)) {
      throw Error(path + ": unexpected tensor '" + name + "' (not part of this verifier)");
    }
    HostTensor tensor{raw.shape, to_float32(raw)};
    for (std::size_t i = 0; i < tensor.values.size(); ++i) {
      if (!std::isfinite(tensor.values[i])) {
        throw Error(path + ": tensor '" + name + "' element " + std::to_string(i) + " is " +
                    (std::isnan(tensor.values[i]) ? "NaN" : "infinite"));
      }
    }
    verifier.tensors.emplace(name, std::move(tensor));
  }
  return verifier;
}

void save_verifier(const std::string& path, const Verifier& verifier) {
  SafetensorsFile file;
  file.metadata["format"] = kFormatName;
  file.metadata[kMetadataKey] = verifier.config.to_json().dump();
  for (const TensorSpec& spec : verifier_tensors(verifier.config)) {
    const HostTensor& tensor = verifier.tensor(spec.name);
    GRAM_ASSERT(tensor.shape == spec.shape, "verifier tensor '" + spec.name + "' shape");
    file.tensors.emplace(spec.name, from_float32(tensor.values, tensor.shape));
  }
  write_safetensors(path, file);
}

void check_verifier_fits(const Verifier& verifier, const Model& model) {
  const VerifierConfig& v = verifier.config;
  const ModelConfig& m = model.config;
  const bool task_differs = !v.model_task.empty() && v.model_task != m.task;
  if (v.reads_answer && (v.model_seq_len != m.seq_len || v.model_vocab_size != m.vocab_size)) {
    throw Error(verifier.source + ": the verifier reads answers of " + std::to_string(v.model_seq_len) +
                " cells of " + std::to_string(v.model_vocab_size) + " tokens, but " + model.source +
                " answers " + std::to_string(m.seq_len) + " cells of " + std::to_string(m.vocab_size));
  }
  if (v.model_hidden_size == m.hidden_size && v.model_positions == m.positions() && !task_differs) {
    return;
  }
  auto describe = [](int hidden, int positions, const std::string& task) {
    return "hidden_size " + std::to_string(hidden) + " at " + std::to_string(positions) +
           " positions" + (task.empty() ? std::string() : " (" + task + ")");
  };
  throw Error(verifier.source + ": the verifier reads states of " +
              describe(v.model_hidden_size, v.model_positions, v.model_task) + ", but " +
              model.source + " has " + describe(m.hidden_size, m.positions(), m.task));
}

std::string verifier_model_mismatch(const Verifier& verifier, const std::string& model_path) {
  const json& record = verifier.config.model_record;
  if (!record.contains("fnv1a64") || !record.at("fnv1a64").is_string()) return "";
  std::ifstream file(model_path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  const std::string hash = hash_to_hex(fnv1a64(bytes.str()));
  const std::string recorded = record.at("fnv1a64").get<std::string>();
  if (hash == recorded) return "";
  return verifier.source + " was trained on a model file of FNV-1a " + recorded + ", " +
         model_path + " is " + hash + " (another version of the model?)";
}

double verifier_flops(const VerifierConfig& config) {
  const double width = config.first_layer_width();
  const double first = 2.0 * static_cast<double>(config.input_size()) * width;
  const double confidence = config.reads_confidence ? 2.0 * kConfidenceInputs * width : 0.0;
  const double answer = config.reads_answer ? 2.0 * static_cast<double>(config.answer_size()) * width : 0.0;
  return config.latent_states() * first + confidence + answer +
         (config.hidden > 0 ? 2.0 * config.hidden : 0.0);
}

FlopCounts with_verifier(FlopCounts counts, const ModelConfig& model, const VerifierConfig& config) {
  const double value_head = model.has_value_head ? 2.0 * model.hidden_size : 0.0;
  const double change = verifier_flops(config) - value_head;
  counts.heads_per_step += change;
  counts.per_step += change;
  return counts;
}

Verifier random_verifier(const ModelConfig& model, const VerifierConfig& shape, std::uint64_t seed) {
  Verifier verifier;
  verifier.config = shape;
  verifier.config.model_hidden_size = model.hidden_size;
  verifier.config.model_positions = model.positions();
  verifier.config.model_task = model.task;
  verifier.config.model_seq_len = model.seq_len;
  verifier.config.model_vocab_size = model.vocab_size;
  verifier.source = "random verifier";
  NormalSource normal(seed);
  for (const TensorSpec& spec : verifier_tensors(verifier.config)) {
    HostTensor tensor;
    tensor.shape = spec.shape;
    tensor.values.resize(static_cast<std::size_t>(tensor.numel()));
    if (spec.shape.size() == 2) {
      const double scale = 1.0 / std::sqrt(static_cast<double>(spec.shape[1]));
      for (float& value : tensor.values) value = static_cast<float>(scale * normal.next());
    }
    verifier.tensors.emplace(spec.name, std::move(tensor));
  }
  return verifier;
}

}  // namespace gram::model
