// Models on disk (safetensors + "gram_config" metadata) and in memory (fp32 host tensors).
//
// A loaded Model is complete and consistent with its config: every expected tensor, no other,
// the right shapes, finite values. The forward pass can therefore index tensors without checks
// beyond GRAM_ASSERT.
#include "model/weights.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "model/normal_source.h"
#include "util/error.h"

namespace gram::model {
namespace {

using json = nlohmann::json;

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// `where` + ": " starts every message ("model.safetensors" or "model.safetensors: cannot save").
// `shapes` maps each present tensor name to its shape.
void check_tensor_set(const std::string& where, const ModelConfig& config,
                      const std::map<std::string, const std::vector<std::int64_t>*>& shapes) {
  std::vector<TensorSpec> specs = expected_tensors(config);
  std::set<std::string> expected_names;
  for (const auto& spec : specs) {
    expected_names.insert(spec.name);
    if (shapes.count(spec.name) == 0) {
      throw Error(where + ": missing tensor '" + spec.name + "' (config expects shape " +
                  shape_text(spec.shape) + ")");
    }
  }
  for (const auto& [name, shape] : shapes) {
    if (expected_names.count(name) == 0) {
      throw Error(where + ": unexpected tensor '" + name + "' (not part of this config's architecture)");
    }
  }
  for (const auto& spec : specs) {
    const auto& shape = *shapes.at(spec.name);
    if (shape != spec.shape) {
      throw Error(where + ": tensor '" + spec.name + "' has shape " + shape_text(shape) +
                  ", config expects " + shape_text(spec.shape));
    }
  }
}

// The first non-finite element of `values` as "element 17 is NaN", or "" when all are finite.
std::string first_non_finite(const std::vector<float>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return "element " + std::to_string(i) + " is " +
             (std::isnan(values[i]) ? "NaN" : values[i] > 0 ? "+Inf" : "-Inf");
    }
  }
  return "";
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::int64_t HostTensor::numel() const {
  std::int64_t count = 1;
  for (auto dim : shape) count *= dim;
  return count;
}

const HostTensor& Model::tensor(const std::string& name) const {
  auto found = tensors.find(name);
  GRAM_ASSERT(found != tensors.end(), "model has no tensor '" + name + "'");
  return found->second;
}

Model load_model(const std::string& path) {
  SafetensorsFile file = read_safetensors(path);
  auto text = file.metadata.find("gram_config");
  if (text == file.metadata.end()) {
    throw Error(path + ": metadata has no 'gram_config' (not a gram-engine model)");
  }
  json parsed;
  try {
    parsed = json::parse(text->second);
  } catch (const json::exception& error) {
    std::string message = error.what();
    auto bracket = message.find("] ");  // drop nlohmann's "[json.exception.parse_error.101] "
    if (bracket != std::string::npos) message = message.substr(bracket + 2);
    throw Error(path + ": metadata 'gram_config' is not valid JSON: " + message);
  }

  Model model;
  model.source = path;
  try {
    model.config = ModelConfig::from_json(parsed);
    model.config.validate();
  } catch (const Error& error) {
    throw Error(path + ": " + error.what());
  }

  std::map<std::string, const std::vector<std::int64_t>*> shapes;
  for (const auto& [name, raw] : file.tensors) shapes[name] = &raw.shape;
  check_tensor_set(path, model.config, shapes);
  for (const auto& [key, value] : file.metadata) {
    if (key != "format" && key != "gram_config") model.metadata[key] = value;
  }

  for (auto& [name, raw] : file.tensors) {
    HostTensor tensor;
    tensor.values = to_float32(raw);
    std::string bad = first_non_finite(tensor.values);
    if (!bad.empty()) throw Error(path + ": tensor '" + name + "' " + bad);
    tensor.shape = raw.shape;
    raw.bytes = {};  // the raw copy is no longer needed; halve the peak memory
    model.tensors.emplace(name, std::move(tensor));
  }
  return model;
}

void save_model(const std::string& path, const Model& model, DType dtype) {
  const std::string where = path + ": cannot save";
  try {
    model.config.validate();
  } catch (const Error& error) {
    throw Error(where + ": " + error.what());
  }
  std::map<std::string, const std::vector<std::int64_t>*> shapes;
  for (const auto& [name, tensor] : model.tensors) shapes[name] = &tensor.shape;
  check_tensor_set(where, model.config, shapes);

  SafetensorsFile file;
  file.metadata = model.metadata;
  file.metadata["format"] = "gram-engine-model";
  file.metadata["gram_config"] = model.config.to_json().dump();
  for (const auto& [name, tensor] : model.tensors) {
    if (static_cast<std::int64_t>(tensor.values.size()) != tensor.numel()) {
      throw Error(where + ": tensor '" + name + "' has " + std::to_string(tensor.values.size()) +
                  " values for shape " + shape_text(tensor.shape));
    }
    RawTensor raw = from_float32(tensor.values, tensor.shape, dtype);
    // Check what the file will hold, so a value that overflows F16 (above 65504) is caught
    // here rather than by the next load.
    std::string bad = first_non_finite(dtype == DType::kF32 ? tensor.values : to_float32(raw));
    if (!bad.empty()) {
      throw Error(where + ": tensor '" + name + "' as " + dtype_name(dtype) + ": " + bad);
    }
    file.tensors.emplace(name, std::move(raw));
  }
  write_safetensors(path, file);
}

Model random_model(const ModelConfig& config, std::uint64_t seed) {
  config.validate();
  Model model;
  model.config = config;
  NormalSource normal(seed);
  const double embed_std = 1.0 / std::sqrt(static_cast<double>(config.hidden_size));
  // Tensors are drawn in expected_tensors order, so the values depend on the seed and the
  // config only.
  for (const auto& spec : expected_tensors(config)) {
    HostTensor tensor;
    tensor.shape = spec.shape;
    tensor.values.resize(static_cast<std::size_t>(tensor.numel()));
    const std::string& name = spec.name;
    if (ends_with(name, "_bias")) {
      // Zero, except: q_halt starts at -5 so an untrained model does not halt at the first
      // step; sigma starts at softplus(-2) ~ 0.13 above the floor, a moderate noise level.
      float fill = name == "prior.sigma_bias" ? -2.0f : 0.0f;
      std::fill(tensor.values.begin(), tensor.values.end(), fill);
      if (name == "head.q_bias") tensor.values[0] = -5.0f;
    } else {
      double scale = 1.0;  // init.h, init.l: N(0, 1)
      if (name.rfind("embed.", 0) == 0) {
        scale = embed_std;
      } else if (spec.shape.size() == 2) {
        scale = 1.0 / std::sqrt(static_cast<double>(spec.shape[1]));  // N(0, 1/in_features)
      }
      for (auto& value : tensor.values) value = static_cast<float>(scale * normal.next());
    }
    model.tensors.emplace(name, std::move(tensor));
  }
  return model;
}

}  // namespace gram::model
