// The table behind RunConfig: one row per member, each with its text parser and range check.
//
// Rows are built from a member pointer by the typed helpers of config_table.h, so adding a field to
// RunConfig is one line here and the YAML loader, --set, --help and to_json pick it up.
#include <string>
#include <vector>

#include "config/run_config.h"
#include "config/sampler_fields.h"
#include "util/error.h"
#include "util/vocabulary.h"

namespace gram::config {

const std::vector<std::string>& known_aggregators() { return aggregator_names(); }

namespace {

// Same order as the members of RunConfig (a test holds the two together).
std::vector<FieldSpec> make_run_config_fields() {
  std::vector<FieldSpec> rows = {
      string_field<RunConfig>("model", &RunConfig::model, "safetensors checkpoint to load", true),
      string_field<RunConfig>("puzzles", &RunConfig::puzzles,
                   "puzzle file (its format is chosen by the model's task)", true),
      string_field<RunConfig>("output", &RunConfig::output, "JSONL file the results are written to"),
      choice_field<RunConfig>("backend", &RunConfig::backend, {"cpu", "cuda"},
                   "where the model's forward pass runs"),
      int_field<RunConfig>("width", &RunConfig::width, 1, "trajectories per puzzle (N)"),
      int_field<RunConfig>("depth", &RunConfig::depth, 1,
                "supervision steps per trajectory (S; the maximum when halting)"),
      bool_field<RunConfig>("halting", &RunConfig::halting,
                 "stop a trajectory early when its halt head says so"),
      list_field<RunConfig>("aggregators", &RunConfig::aggregators, known_aggregators(), "aggregator",
                 "comma-separated rules that turn N answers into one"),
      uint64_field<RunConfig>("seed", &RunConfig::seed,
                   "base seed; trajectory noise is derived from it per trajectory"),
      int_field<RunConfig>("row_cap", &RunConfig::row_cap, 1,
                "trajectories advanced together in one batch"),
      bytes_field<RunConfig>("memory_limit", &RunConfig::memory_limit,
                             "bytes the run may use (e.g. 8G); row_cap is lowered to fit, 0 = "
                             "the machine's available memory"),
      int_field<RunConfig>("threads", &RunConfig::threads, 0, "CPU threads (0 = all cores)"),
      int_field<RunConfig>("limit", &RunConfig::limit, 0, "use only the first `limit` puzzles (0 = all)"),
      bool_field<RunConfig>("overwrite", &RunConfig::overwrite, "replace an existing output file"),
      enum_field<RunConfig>("adaptive", &RunConfig::adaptive, adaptive_choice_names(),
                              "adaptive width: stop sampling a puzzle once this rule says its "
                              "answer has settled (width is then the maximum); allocate: "
                              "spread `budget` over the puzzles by estimated difficulty"),
      int_field<RunConfig>("round", &RunConfig::round, 1,
                           "adaptive: trajectories added per open puzzle per round"),
      double_field<RunConfig>("stop_threshold", &RunConfig::stop_threshold, 0.0,
                              "adaptive beta: P(leader beats runner-up); verifier: value score"),
      int_field<RunConfig>("stop_window", &RunConfig::stop_window, 1,
                           "adaptive agreement: the last answers that must all agree"),
      enum_field<RunConfig>("search", &RunConfig::search, search_choice_names(),
                              "latent search guided by the value head: smc (particles, "
                              "resampled by value) or beam (beams x expand rows)"),
      int_field<RunConfig>("particles", &RunConfig::particles, 1, "search smc: particles (N)"),
      int_field<RunConfig>("beams", &RunConfig::beams, 1, "search beam: beams kept (B)"),
      int_field<RunConfig>("expand", &RunConfig::expand, 1,
                           "search beam: children per beam per step (K); rows = B x K"),
      int_field<RunConfig>("resample_every", &RunConfig::resample_every, 1,
                           "search smc: supervision steps between resampling checks"),
      double_field<RunConfig>("temperature", &RunConfig::temperature, 0.0,
                              "search smc: particle weights exp(value / temperature) (> 0)"),
      double_field<RunConfig>("ess_threshold", &RunConfig::ess_threshold, 0.0,
                              "search smc: resample when the effective sample size is below "
                              "this fraction of the particles (0 = never, <= 1)"),
      double_field<RunConfig>("budget", &RunConfig::budget, 1.0,
                              "adaptive allocate: mean trajectories per puzzle, the first "
                              "round (`round` each) included; width caps one puzzle"),
  };
  const std::vector<FieldSpec> sites = sampler_site_fields<RunConfig>();
  rows.push_back(double_field<RunConfig>(
      "noise_scale", &RunConfig::noise_scale, 0.0,
      "sampler: standard deviation of the Gaussian noise injected into the latent state "
      "(0 = off; noise_mode, noise_at say how and where)"));
  rows.insert(rows.end(), sites.begin(), sites.begin() + 2);  // noise_mode, noise_at
  rows.push_back(double_field<RunConfig>(
      "dropout_rate", &RunConfig::dropout_rate, 0.0,
      "sampler: MC dropout rate at inference, below 1 (0 = off; inverted dropout)"));
  rows.insert(rows.end(), sites.begin() + 2, sites.end());  // dropout_at, _sites, _layers
  rows.push_back(string_field<RunConfig>(
      "verifier", &RunConfig::verifier,
      "verifier file for this model (tools/train_verifier.py) whose score replaces the value head"));
  return rows;
}

}  // namespace

const std::vector<FieldSpec>& run_config_fields() {
  static const std::vector<FieldSpec> fields = make_run_config_fields();
  return fields;
}

const FieldSpec* find_field(const std::string& name) {
  for (const auto& field : run_config_fields()) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

}  // namespace gram::config
