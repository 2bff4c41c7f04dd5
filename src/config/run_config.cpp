// Loading, overriding, checking and echoing a RunConfig, all through run_config_fields().
#include "config/run_config.h"

#include "config/sampler_fields.h"

#include <set>

namespace gram::config {

void apply_yaml_file(RunConfig& config, const std::string& path) {
  apply_yaml_file(config, path, run_config_fields());
}

void apply_override(RunConfig& config, const std::string& assignment) {
  apply_override(config, assignment, run_config_fields());
}

void validate(const RunConfig& config) {
  check_fields(config, run_config_fields());
  const std::string& adaptive = name_of(config.adaptive);
  const std::string& search = name_of(config.search);
  if (config.adaptive != AdaptiveChoice::kNone && config.stop_threshold > 1.0) {
    throw Error("config: 'stop_threshold' must be <= 1 with adaptive " + adaptive +
                " (a probability or a value score; got " + std::to_string(config.stop_threshold) +
                ")");
  }
  if (config.adaptive == AdaptiveChoice::kAllocate) {
    // The first round is paid from the budget, and no puzzle can take more than `width`.
    if (config.round > config.width || config.budget < config.round ||
        config.budget > config.width) {
      throw Error("config: adaptive allocate needs round <= budget <= width (round " +
                  std::to_string(config.round) + ", budget " + std::to_string(config.budget) +
                  ", width " + std::to_string(config.width) + ")");
    }
  }
  if (config.search != SearchChoice::kNone) {
    // A search picks its own rows per puzzle and runs every one of them to depth.
    if (config.adaptive != AdaptiveChoice::kNone) {
      throw Error("config: search " + search + " and adaptive " + adaptive +
                  " cannot be combined (each decides the trajectories per puzzle)");
    }
    if (config.halting) {
      throw Error("config: search " + search +
                  " runs every row to depth; it cannot be combined with halting");
    }
    if (config.width != 1) {
      throw Error("config: search " + search + " sizes itself with " +
                  (config.search == SearchChoice::kSmc ? "particles" : "beams and expand") +
                  "; leave width at 1 (got " + std::to_string(config.width) + ")");
    }
    if (config.temperature <= 0.0) {
      throw Error("config: 'temperature' must be > 0 with search " + search);
    }
    if (config.ess_threshold > 1.0) {
      throw Error("config: 'ess_threshold' must be <= 1 (a fraction of the particles; got " +
                  std::to_string(config.ess_threshold) + ")");
    }
  }
  if (config.dropout_rate >= 1.0) {
    throw Error("config: 'dropout_rate' must be below 1 (got " +
                find_field("dropout_rate")->get(config) + ")");
  }
  check_sampler_sites(config);
  if (config.aggregators.empty()) {
    throw Error("config: 'aggregators' must name at least one aggregator");
  }
  std::set<std::string> seen;
  for (const auto& name : config.aggregators) {
    if (!seen.insert(name).second) {
      throw Error("config: 'aggregators' names '" + name + "' twice");
    }
  }
}

nlohmann::json to_json(const RunConfig& config) { return fields_to_json(config, run_config_fields()); }

std::string help_text() { return fields_help_text(run_config_fields()); }

}  // namespace gram::config
