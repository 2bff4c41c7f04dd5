#pragma once
// The typed configuration of `gram run`.
//
// Every field is declared once in a table (run_config_fields.cpp, built with config_table.h).
// The same table drives YAML loading (configs/*.yaml), `--set key=value` overrides, the
// generated --help text and the resolved config echoed into every result file, so none of them
// can drift from the others. Unknown keys and unparsable values are gram::Error lines naming
// the file/line or the flag.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/vocabulary.h"

#include "config/config_table.h"
#include "util/vocabulary.h"

namespace gram::config {

struct RunConfig {
  std::string model;                 // safetensors checkpoint
  std::string puzzles;               // puzzle file (format chosen by the model's task)
  std::string output = "results.jsonl";
  std::string backend = "cpu";       // cpu | cuda
  int width = 1;                     // N trajectories per puzzle
  int depth = 16;                    // S supervision steps (maximum, with halting)
  bool halting = false;              // stop a trajectory when its halt head says so
  std::vector<std::string> aggregators = aggregator_names();
  std::uint64_t seed = 0;
  int row_cap = 256;                 // trajectories advanced together in one batch
  // Bytes the run may use (weights, row buffers, results): the row cap is lowered to fit, and
  // a run that cannot fit one row is refused up front (engine/memory_plan.h). 0 = the memory
  // the machine has available when the run starts.
  std::uint64_t memory_limit = 0;
  int threads = 0;                   // 0 = all cores
  int limit = 0;                     // use only the first `limit` puzzles (0 = all)
  bool overwrite = false;            // replace an existing output file
  // Adaptive width (engine/stopping_rules.h): trajectories in rounds of `round` per open
  // puzzle, a puzzle closing when its answers have settled; `width` is then the maximum.
  AdaptiveChoice adaptive = AdaptiveChoice::kNone;  // none | beta | agreement | verifier | oracle | allocate
  int round = 4;                     // allocate: the first round (the difficulty probe)
  double stop_threshold = 0.95;      // beta: posterior probability; verifier: value score
  int stop_window = 4;               // agreement: answers that must agree
  // Latent search (engine/search_run.h) instead of independent trajectories: smc over
  // `particles` rows, or beam over beams x expand rows, per puzzle; `width` stays 1.
  SearchChoice search = SearchChoice::kNone;        // none | smc | beam
  int particles = 8;                 // smc: N
  int beams = 4;                     // beam: B
  int expand = 2;                    // beam: K children per beam per step
  int resample_every = 1;            // smc: steps between resampling checks
  double temperature = 0.1;          // smc: weights exp(value / temperature)
  double ess_threshold = 0.5;        // smc: resample when ESS < ess_threshold x particles
  // Difficulty-aware allocation (engine/allocation.h): mean trajectories per puzzle over the
  // puzzle set, the first round included; `width` caps each puzzle.
  double budget = 8.0;
  // Samplers (engine/sampler.h): width for a deterministic model. 0 turns each off.
  double noise_scale = 0.0;          // injected Gaussian noise on the latent state
  std::string noise_mode = "absolute";
  std::vector<std::string> noise_at = {"h"};
  double dropout_rate = 0.0;         // MC dropout at inference
  std::vector<std::string> dropout_at = {"h", "l"};
  std::vector<std::string> dropout_sites = {"mixer", "ffn"};
  std::vector<int> dropout_layers;   // empty: every layer
  // A verifier file (docs/model-format.md, "Verifier files"): its score replaces the model's
  // value head everywhere a value is read (best-of-n, weighted vote, stopping, searches).
  std::string verifier;
};

// One row of the table (config_table.h).
using FieldSpec = Field<RunConfig>;

// In RunConfig's declaration order.
const std::vector<FieldSpec>& run_config_fields();
// The row named `name`, or nullptr (for a CLI that maps `--width 4` onto the table).
const FieldSpec* find_field(const std::string& name);
// The aggregators `aggregators` may name.
const std::vector<std::string>& known_aggregators();

// Applies a YAML file (a flat map of the table's keys). `path` appears in every error.
void apply_yaml_file(RunConfig& config, const std::string& path);
// Applies one "key=value" override (from --set).
void apply_override(RunConfig& config, const std::string& assignment);
// Checks cross-field constraints (width >= 1, depth >= 1, known aggregators, ...).
void validate(const RunConfig& config);
// Resolved config as JSON (echoed into results) and as help text (for --help).
nlohmann::json to_json(const RunConfig& config);
std::string help_text();

}  // namespace gram::config
