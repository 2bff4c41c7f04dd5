#pragma once
// The typed configuration of `gram steps` (config_table.h: YAML, --set, --help, echo).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config_table.h"

namespace gram::config {

struct StepsConfig {
  std::string model;                             // safetensors checkpoint
  std::string puzzles;                           // puzzle file of the model's task
  std::vector<std::string> indices = {"0"};      // puzzles of the file (0-based lines of puzzles)
  std::vector<std::string> trajectories = {"0"}; // trajectory numbers (the noise key; one is
                                                 // enough for a deterministic model)
  int steps = 0;                                 // supervision steps (0: the model's max_steps)
  std::uint64_t seed = 0;                        // noise seed, as `gram run --seed`
  std::string output;                            // JSONL file
  bool overwrite = false;                        // replace an existing output file
};

using StepsField = Field<StepsConfig>;
const std::vector<StepsField>& steps_config_fields();
void validate(const StepsConfig& config);

}  // namespace gram::config
