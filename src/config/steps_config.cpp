#include "config/steps_config.h"

#include "util/error.h"

namespace gram::config {

const std::vector<StepsField>& steps_config_fields() {
  static const std::vector<StepsField> fields = {
      string_field<StepsConfig>("model", &StepsConfig::model, "safetensors checkpoint", true),
      string_field<StepsConfig>("puzzles", &StepsConfig::puzzles, "puzzle file", true),
      int_list_field<StepsConfig>("indices", &StepsConfig::indices, 0,
                                  "puzzles to dump, by their place in the file (0 = the first)"),
      int_list_field<StepsConfig>("trajectories", &StepsConfig::trajectories, 0,
                                  "trajectory numbers per puzzle (the noise key, as in `gram run`)"),
      int_field<StepsConfig>("steps", &StepsConfig::steps, 0,
                             "supervision steps (0 = the model's max_steps)"),
      uint64_field<StepsConfig>("seed", &StepsConfig::seed, "noise seed, as `gram run --seed`"),
      string_field<StepsConfig>("output", &StepsConfig::output, "JSONL file to write", true),
      bool_field<StepsConfig>("overwrite", &StepsConfig::overwrite,
                              "replace an existing output file"),
  };
  return fields;
}

void validate(const StepsConfig& config) {
  check_fields(config, steps_config_fields());
  if (config.indices.empty() || config.trajectories.empty()) {
    throw Error("config: 'indices' and 'trajectories' need at least one value each");
  }
}

}  // namespace gram::config
