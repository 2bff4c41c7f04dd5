#pragma once
// What a `gram run` adds to its model: a sampler (engine/sampler.h), which gives a
// deterministic model width, and a verifier file (model/verifier.h), whose score replaces the
// model's value head. Both are resolved and checked against the model before anything is
// allocated or written, so a bad verifier costs one line, not a run.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/run_config.h"
#include "engine/run_execution.h"
#include "engine/sampler.h"
#include "model/verifier.h"
#include "model/weights.h"

namespace gram::cli {

struct SamplingSetup {
  engine::SamplerSettings sampler;
  std::optional<model::Verifier> verifier;
  bool has_value_source = false;  // the model's value head or the verifier
  model::FlopCounts flops;        // the model's, with the verifier's in place of the value head
  std::string verifier_warning;   // the verifier was trained on another model file, or ""

  // `model` with this sampler and verifier, as engine::execute_run takes it.
  engine::RunModel run_model(const model::Model& model) const {
    return {model, sampler, verifier ? &*verifier : nullptr};
  }
  // {"sampler": ..., "verifier": {path, config, flops_per_step, matches_model} or null} for the
  // context record.
  nlohmann::json to_json(const std::string& verifier_path) const;
};

// Reads the run's sampler keys and verifier file and checks both against `model`; a verifier
// trained on another version of the model file is a warning (verifier_warning), since its
// shapes fit.
SamplingSetup sampling_setup(const config::RunConfig& run, const model::Model& model);

}  // namespace gram::cli
