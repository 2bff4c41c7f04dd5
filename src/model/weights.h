#pragma once
// A loaded model: its config and every tensor as fp32 host memory, validated against the
// config. Backends upload from here; the checkpoint file is not needed after load.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "model/safetensors.h"

namespace gram::model {

struct HostTensor {
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // row-major
  std::int64_t numel() const;
};

struct Model {
  ModelConfig config;
  std::map<std::string, HostTensor> tensors;
  // The file's other metadata keys, kept as read and written back by save_model (for example
  // "gram_training", the trainer's record: model/training_record.h).
  std::map<std::string, std::string> metadata;
  std::string source = "random model";  // the file it was loaded from, for error messages

  // The tensor `name`; GRAM_ASSERTs that it exists (a loaded model has every expected tensor,
  // so a miss is a bug in the caller, not bad input).
  const HostTensor& tensor(const std::string& name) const;
  bool has(const std::string& name) const { return tensors.count(name) != 0; }
};

// Loads and validates `path`: container, config (metadata key "gram_config"), the exact set of
// expected tensors, their shapes and dtypes, and finite values. Errors name the file and the
// tensor or field.
Model load_model(const std::string& path);
// Writes `model` in the canonical format (F32 unless `dtype` says otherwise).
void save_model(const std::string& path, const Model& model, DType dtype = DType::kF32);
// A seeded random model for tests and demos (weights ~ N(0, 1/fan_in), embeddings N(0, 1/D),
// start vectors N(0, 1), biases as docs/model-format.md s6 says). Same seed, same bytes, with
// every standard library. Throws gram::Error for an invalid config.
Model random_model(const ModelConfig& config, std::uint64_t seed);

}  // namespace gram::model
