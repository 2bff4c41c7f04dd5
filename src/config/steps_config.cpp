#include "config/steps_config.h"

#include "util/error.h"

namespace gram::config {
namespace {

// A list of whole numbers >= 0, kept as text like every list of the tables.
Field<StepsConfig> index_list_field(std::string name,
                                    std::vector<std::string> StepsConfig::*member,
                                    std::string help) {
  return {name, "list", std::move(help),
          [member](const StepsConfig& c) { return join(c.*member, ","); },
          [member, name](StepsConfig& c, const std::string& text) {
            auto items = parse_list(name, text);
            for (const auto& item : items) parse_int(name, item, 0);
            c.*member = std::move(items);
          },
          [member, name](const StepsConfig& c) {
            std::vector<int> numbers;
            for (const auto& item : c.*member) numbers.push_back(parse_int(name, item, 0));
            return nlohmann::json(numbers);
          }};
}

}  // namespace

const std::vector<StepsField>& steps_config_fields() {
  static const std::vector<StepsField> fields = {
      string_field<StepsConfig>("model", &StepsConfig::model, "safetensors checkpoint", true),
      string_field<StepsConfig>("puzzles", &StepsConfig::puzzles, "puzzle file", true),
      index_list_field("indices", &StepsConfig::indices,
                       "puzzles to dump, by their place in the file (0 = the first)"),
      index_list_field("trajectories", &StepsConfig::trajectories,
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
