#pragma once
// What a model file says about its training: the trainer (tools/train.py) writes a JSON object
// under the metadata key "gram_training" (docs/model-format.md), with the training FLOPs counted
// over every network application it ran (the recursion included). Sweeps read it so that the
// report can match models on training plus inference compute (science.md s3).
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/weights.h"

namespace gram::model {

struct TrainingRecord {
  std::optional<double> flops;     // "training_flops", when given
  nlohmann::json record = nullptr;  // the whole object (null without one)
};

// The record of `model`, loaded from `path` (named in errors); a model without one gives an
// empty record, a malformed one a gram::Error naming the file and the field.
TrainingRecord training_record(const Model& model, const std::string& path);

}  // namespace gram::model
