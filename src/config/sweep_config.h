#pragma once
// The typed configuration of `gram sweep`: which models, which per-puzzle budgets, which ways
// of spending them (docs/cli.md, configs/sweep-*.yaml). Built on config_table.h like RunConfig,
// so YAML, --set, --help and the echo in the results come from one table.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config_table.h"
#include "util/vocabulary.h"

namespace gram::config {

// A sampler setting of `samplers` (engine/sampler.h): "none", "noise:SCALE" or
// "dropout:RATE". Each setting makes every model of the sweep a model of its own.
struct SamplerSpec {
  std::string kind = "none";  // none | noise | dropout
  double value = 0.0;         // the noise scale or the dropout rate
  // "" for none, else "noise0.1" or "dropout0.05": appended to the model's name after '+'.
  std::string label() const;
};
// "none", "noise:0.1", "dropout:0.05"; a gram::Error naming the entry otherwise.
SamplerSpec parse_sampler_spec(const std::string& text);

// One model of a sweep: "name=path" in the config, or a bare path (named by its file stem),
// under one sampler setting. With samplers other than none, the sweep's models are every
// (model, sampler) pair, named "<name>+<label>" (e.g. trm-small+noise0.1): each is a model
// of the plan, so cells, runs, resume, shards, policies, searches and comparisons treat it as
// any other, with no key of their own.
struct SweepModel {
  std::string name;
  std::string path;
  // From `training_flops`; when not given, the sweep reads the model file's training record
  // (model/training_record.h).
  std::optional<double> training_flops;
  std::string base;       // the name in `models` (== name without a sampler)
  SamplerSpec sampler;    // the sampler setting this variant runs with
  std::string verifier;   // from `verifiers`: a verifier file for the base model, or ""
};

struct SweepConfig {
  std::vector<std::string> models;  // "name=path" or "path"; several are matched on budget
  std::string puzzles;              // held-out puzzle file in the models' task format
  std::string output = "results/sweep";  // directory: cells.jsonl + runs/
  std::string backend = "cpu";
  std::string budget_unit = "steps";     // steps: supervision steps per puzzle; flops: FLOPs
  std::vector<double> budgets = {1, 2, 4, 8, 16};  // per puzzle, in budget_unit
  std::vector<std::string> strategies = {"width", "depth", "grid"};
  int fixed_depth = 4;                   // S of the `width` strategy
  std::vector<std::string> halting = {"off"};  // any of off, on
  std::vector<std::string> aggregators = aggregator_names();
  std::uint64_t seed = 0;
  bool derive = true;                    // derive smaller cells from prefixes of larger runs
  int row_cap = 256;
  std::uint64_t memory_limit = 0;  // bytes; each run's row cap is lowered to fit (0: available)
  int threads = 0;
  int limit = 0;                         // only the first `limit` puzzles (0 = all)
  bool overwrite = false;                // start over in an existing output directory
  // "I/N" (0 <= I < N): run only the I-th of N shares of the plan's runs, into
  // OUTPUT/shards/I-of-N (a Slurm job array, one share per task); a later sweep without a
  // shard on the same OUTPUT merges the shares and runs whatever is missing. "" = everything.
  std::string shard;
  // "name=flops" per model: its training FLOPs, for models whose file has no training record
  // (a converted checkpoint) or to override it, so the report can also match models on training
  // + inference compute (science.md s3). Models named nowhere: unknown.
  std::vector<std::string> training_flops;
  // Comparisons named before the run ("A vs B", analysis/comparison_spec.h): the report's
  // Findings test exactly these at every budget, Holm-adjusted together. Part of the plan, so
  // a resumed sweep cannot change them.
  std::vector<std::string> comparisons;
  // Adaptive policies read from every width run (sweep/policy_cells.h): any of beta,
  // agreement, verifier, oracle (stopping rules) and allocate (difficulty-aware allocation).
  std::vector<std::string> policies;
  int policy_round = 4;              // trajectories per round; allocate: the first round
  double beta_threshold = 0.95;      // beta: P(leader beats runner-up)
  int agreement_window = 4;          // agreement: the last answers that must agree
  double verifier_threshold = 0.9;   // verifier: value score that settles a puzzle
  double allocate_budget = 8.0;      // allocate: mean trajectories per puzzle, first round included
  // LPRM-guided latent searches run as their own runs at fixed_depth, halting off
  // (sweep/search_cells.h): any of smc, beam, each once per entry of search_rows.
  std::vector<std::string> searches;
  std::vector<int> search_rows = {8};   // rows per puzzle: smc particles, beam beams x expand
  int search_expand = 2;                // beam: children per beam per step
  double search_temperature = 0.1;      // smc: weights exp(value / temperature)
  int search_resample_every = 1;        // smc: steps between resampling checks
  double search_ess_threshold = 0.5;    // smc: resample when ESS < threshold x particles
  // Samplers (engine/sampler.h): every model runs under each setting ("none", "noise:S",
  // "dropout:R"), where and how given by the keys after it, as in `gram run`.
  std::vector<std::string> samplers = {"none"};
  std::string noise_mode = "absolute";
  std::vector<std::string> noise_at = {"h"};
  std::vector<std::string> dropout_at = {"h", "l"};
  std::vector<std::string> dropout_sites = {"mixer", "ffn"};
  std::vector<int> dropout_layers;  // empty: every layer
  // "name=path": a verifier file for model `name` (all its sampler variants), whose score
  // replaces the model's value head (docs/model-format.md, "Verifier files").
  std::vector<std::string> verifiers;
};

// A share of a sweep's runs: index in [0, count).
struct SweepShard {
  int index = 0;
  int count = 1;
};
// "" -> 0/1; "I/N" with 0 <= I < N; a gram::Error naming the field otherwise.
SweepShard parse_shard(const std::string& text);

using SweepField = Field<SweepConfig>;
const std::vector<SweepField>& sweep_config_fields();

// Cross-field checks (names unique, budgets whole in steps, ...); throws gram::Error.
void validate(const SweepConfig& config);
std::vector<SweepModel> sweep_models(const SweepConfig& config);
nlohmann::json to_json(const SweepConfig& config);
// The part of the config that decides the results (not where they go or how fast): a resumed
// sweep must match it.
nlohmann::json result_defining_json(const SweepConfig& config);

}  // namespace gram::config
