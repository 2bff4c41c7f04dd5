// The table behind SweepConfig and its cross-field checks.
#include "config/sweep_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "analysis/comparison_spec.h"
#include "config/run_config.h"  // known_aggregators()
#include "util/vocabulary.h"
#include "config/sampler_fields.h"
#include "util/error.h"

namespace gram::config {
namespace {

std::string format_number(double value) {
  std::ostringstream text;
  text.precision(15);
  text << value;
  return text.str();
}

SweepField budgets_field() {
  return {"budgets", "list", "per-puzzle budgets, in budget_unit",
          [](const SweepConfig& c) {
            std::vector<std::string> items;
            for (double budget : c.budgets) items.push_back(format_number(budget));
            return join(items, ",");
          },
          [](SweepConfig& c, const std::string& text) {
            std::vector<double> budgets;
            for (const auto& item : parse_list("budgets", text)) {
              budgets.push_back(parse_double("budgets", item, 1.0));
            }
            c.budgets = std::move(budgets);
          },
          [](const SweepConfig& c) { return nlohmann::json(c.budgets); }};
}

SweepField search_rows_field() {
  return {"search_rows", "list", "searches: rows per puzzle (smc particles; beam beams x expand)",
          [](const SweepConfig& c) {
            std::vector<std::string> items;
            for (int rows : c.search_rows) items.push_back(std::to_string(rows));
            return join(items, ",");
          },
          [](SweepConfig& c, const std::string& text) {
            std::vector<int> rows;
            for (const auto& item : parse_list("search_rows", text)) {
              rows.push_back(parse_int("search_rows", item, 1));
            }
            c.search_rows = std::move(rows);
          },
          [](const SweepConfig& c) { return nlohmann::json(c.search_rows); }};
}

SweepField models_field() {
  return {"models", "list", "models to sweep: name=path or path (named by the file stem)",
          [](const SweepConfig& c) { return join(c.models, ","); },
          [](SweepConfig& c, const std::string& text) { c.models = parse_list("models", text); },
          [](const SweepConfig& c) { return nlohmann::json(c.models); }, true};
}

// A list of free-form entries (name=value pairs, comparisons), checked where it is used.
SweepField entry_list_field(const std::string& name,
                            std::vector<std::string> SweepConfig::*member,
                            const std::string& help) {
  return {name, "list", help,
          [member](const SweepConfig& c) { return join(c.*member, ","); },
          [name, member](SweepConfig& c, const std::string& text) {
            c.*member = parse_list(name, text);
          },
          [member](const SweepConfig& c) { return nlohmann::json(c.*member); }};
}

// What is swept, on what, and where the results go.
std::vector<SweepField> plan_fields() {
  return {
    models_field(),
    string_field<SweepConfig>("puzzles", &SweepConfig::puzzles,
                              "held-out puzzle file in the models' task format", true),
    string_field<SweepConfig>("output", &SweepConfig::output,
                              "result directory (cells.jsonl, runs/); rerun to resume"),
    choice_field<SweepConfig>("backend", &SweepConfig::backend, {"cpu", "cuda"},
                              "where the forward pass runs"),
    choice_field<SweepConfig>("budget_unit", &SweepConfig::budget_unit, {"steps", "flops"},
                              "steps: supervision steps per puzzle; flops: FLOPs per puzzle "
                              "(models matched on compute)"),
    budgets_field(),
    list_field<SweepConfig>("strategies", &SweepConfig::strategies, strategy_names(),
                            "strategy",
                            "width: N x fixed_depth; depth: 1 x S; grid: every N x S in budget"),
    int_field<SweepConfig>("fixed_depth", &SweepConfig::fixed_depth, 1,
                           "supervision steps of each trajectory in the width strategy"),
    list_field<SweepConfig>("halting", &SweepConfig::halting, {"off", "on"}, "halting mode",
                            "halting modes to sweep (on: the halt head may stop early)"),
    list_field<SweepConfig>("aggregators", &SweepConfig::aggregators, known_aggregators(),
                            "aggregator", "rules that turn N answers into one"),
    uint64_field<SweepConfig>("seed", &SweepConfig::seed, "base seed of the noise"),
    bool_field<SweepConfig>("derive", &SweepConfig::derive,
                            "derive smaller cells from prefixes of larger runs (else run each)"),
    int_field<SweepConfig>("row_cap", &SweepConfig::row_cap, 1,
                           "trajectories advanced together in one batch"),
    bytes_field<SweepConfig>("memory_limit", &SweepConfig::memory_limit,
                             "bytes a run may use (e.g. 8G); row_cap is lowered to fit, 0 = "
                             "the machine's available memory"),
    int_field<SweepConfig>("threads", &SweepConfig::threads, 0, "CPU threads (0 = all cores)"),
    int_field<SweepConfig>("limit", &SweepConfig::limit, 0,
                           "use only the first `limit` puzzles (0 = all)"),
    bool_field<SweepConfig>("overwrite", &SweepConfig::overwrite,
                            "discard earlier results in the output directory and start over"),
    string_field<SweepConfig>("shard", &SweepConfig::shard,
                              "I/N: run only share I (0-based) of N of the plan's runs, into "
                              "OUTPUT/shards/I-of-N; a later sweep without shard merges them")};
}

// Models' training compute and the comparisons the report tests.
std::vector<SweepField> comparison_fields() {
  return {
      entry_list_field("training_flops", &SweepConfig::training_flops,
                       "name=flops: training FLOPs per model (default: the model file's "
                       "training record)"),
      entry_list_field("comparisons", &SweepConfig::comparisons,
                       "'A vs B' (each model/strategy/aggregator): comparisons the report tests, "
                       "named before the run")};
}

// Adaptive policies replayed on each width run.
std::vector<SweepField> policy_fields() {
  return {
    list_field<SweepConfig>("policies", &SweepConfig::policies, policy_names(), "policy",
                            "adaptive policies derived from each width run at matched compute "
                            "(stopping rules, or allocate: budget by estimated difficulty)"),
    int_field<SweepConfig>("policy_round", &SweepConfig::policy_round, 1,
                           "policies: trajectories per round (allocate: the first round)"),
    double_field<SweepConfig>("beta_threshold", &SweepConfig::beta_threshold, 0.0,
                              "policy beta: P(leader beats runner-up) that settles a puzzle"),
    int_field<SweepConfig>("agreement_window", &SweepConfig::agreement_window, 1,
                           "policy agreement: the last answers that must all agree"),
    double_field<SweepConfig>("verifier_threshold", &SweepConfig::verifier_threshold, 0.0,
                              "policy verifier: value score that settles a puzzle"),
    double_field<SweepConfig>("allocate_budget", &SweepConfig::allocate_budget, 1.0,
                              "policy allocate: mean trajectories per puzzle, first round "
                              "included")};
}

// Latent searches, each a run of its own.
std::vector<SweepField> search_fields() {
  return {
    list_field<SweepConfig>("searches", &SweepConfig::searches, search_names(), "search",
                            "latent searches guided by the value head, each its own run at "
                            "fixed_depth, compared with uniform width at matched compute"),
    search_rows_field(),
    int_field<SweepConfig>("search_expand", &SweepConfig::search_expand, 1,
                           "search beam: children per beam per step (beams = rows / expand)"),
    double_field<SweepConfig>("search_temperature", &SweepConfig::search_temperature, 0.0,
                              "search smc: particle weights exp(value / temperature)"),
    int_field<SweepConfig>("search_resample_every", &SweepConfig::search_resample_every, 1,
                           "search smc: supervision steps between resampling checks"),
    double_field<SweepConfig>("search_ess_threshold", &SweepConfig::search_ess_threshold, 0.0,
                              "search smc: resample when the effective sample size falls below "
                              "this fraction of the particles")};
}

// Samplers every model runs under, where they act, and verifiers in place of value heads.
std::vector<SweepField> sampler_fields() {
  std::vector<SweepField> fields = {
    {"samplers", "list",
     "sampler settings every model runs under: none, noise:SCALE, dropout:RATE; each makes "
     "every model a model of its own, named <model>+noiseSCALE or <model>+dropoutRATE",
     [](const SweepConfig& c) { return join(c.samplers, ","); },
     [](SweepConfig& c, const std::string& text) {
       std::vector<std::string> specs = parse_list("samplers", text);
       for (const std::string& spec : specs) parse_sampler_spec(spec);
       c.samplers = std::move(specs);
     },
     [](const SweepConfig& c) { return nlohmann::json(c.samplers); }},
  };
  for (SweepField& field : sampler_site_fields<SweepConfig>()) fields.push_back(std::move(field));
  fields.push_back(entry_list_field("verifiers", &SweepConfig::verifiers,
                                    "name=path: a verifier file for model `name` (all its sampler "
                                    "variants), whose score replaces the value head"));
  return fields;
}

std::vector<SweepField> make_sweep_config_fields() {
  std::vector<SweepField> fields;
  for (auto group : {plan_fields, comparison_fields, policy_fields, search_fields, sampler_fields}) {
    for (SweepField& field : group()) fields.push_back(std::move(field));
  }
  return fields;
}

}  // namespace

const std::vector<SweepField>& sweep_config_fields() {
  static const std::vector<SweepField> fields = make_sweep_config_fields();
  return fields;
}

std::string SamplerSpec::label() const {
  return kind == "none" ? std::string() : kind + format_number(value);
}

SamplerSpec parse_sampler_spec(const std::string& text) {
  const std::string entry = trim(text);
  if (entry == "none") return {};
  const auto colon = entry.find(':');
  const std::string kind = trim(entry.substr(0, colon));
  if (colon == std::string::npos || (kind != "noise" && kind != "dropout")) {
    throw Error("'samplers': entry '" + entry + "' must be none, noise:SCALE or dropout:RATE");
  }
  SamplerSpec spec;
  spec.kind = kind;
  spec.value = parse_double("samplers", trim(entry.substr(colon + 1)), 0.0);
  if (spec.value <= 0.0 || (kind == "dropout" && spec.value >= 1.0)) {
    throw Error("'samplers': entry '" + entry + "' needs " +
                (kind == "noise" ? "a scale > 0" : "a rate in (0, 1)") + " (none is 'none')");
  }
  return spec;
}

std::vector<SweepModel> sweep_models(const SweepConfig& config) {
  std::vector<SweepModel> models;
  for (const auto& entry : config.models) {
    const auto equals = entry.find('=');
    SweepModel model;
    if (equals == std::string::npos) {
      model.path = entry;
      model.name = std::filesystem::path(entry).stem().string();
    } else {
      model.name = trim(entry.substr(0, equals));
      model.path = trim(entry.substr(equals + 1));
    }
    if (model.name.empty() || model.path.empty()) {
      throw Error("config: 'models' entry '" + entry + "' is not name=path or a path");
    }
    for (char c : model.name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
        throw Error("config: model name '" + model.name +
                    "' may hold only letters, digits, '-', '_' and '.' (it names files)");
      }
    }
    models.push_back(model);
  }
  for (const auto& entry : config.training_flops) {
    const auto equals = entry.find('=');
    const std::string name = trim(entry.substr(0, equals));
    auto found = std::find_if(models.begin(), models.end(),
                              [&](const SweepModel& model) { return model.name == name; });
    if (equals == std::string::npos || found == models.end()) {
      throw Error("config: 'training_flops' entry '" + entry +
                  "' must be name=flops for a model of 'models'");
    }
    found->training_flops = parse_double("training_flops", trim(entry.substr(equals + 1)), 0.0);
  }
  for (const auto& entry : config.verifiers) {
    const auto equals = entry.find('=');
    const std::string name = trim(entry.substr(0, equals));
    auto found = std::find_if(models.begin(), models.end(),
                              [&](const SweepModel& model) { return model.name == name; });
    if (equals == std::string::npos || found == models.end() ||
        trim(entry.substr(equals + 1)).empty()) {
      throw Error("config: 'verifiers' entry '" + entry +
                  "' must be name=path for a model of 'models'");
    }
    found->verifier = trim(entry.substr(equals + 1));
  }
  // Every model under every sampler setting, model-major (the plan's order of models).
  std::vector<SweepModel> variants;
  for (SweepModel& model : models) {
    model.base = model.name;
    for (const std::string& text : config.samplers) {
      SweepModel variant = model;
      variant.sampler = parse_sampler_spec(text);
      if (variant.sampler.kind != "none") variant.name.append("+").append(variant.sampler.label());
      variants.push_back(std::move(variant));
    }
  }
  return variants;
}

SweepShard parse_shard(const std::string& text) {
  if (text.empty()) return {};
  const auto slash = text.find('/');
  auto bad = [&] {
    return Error("config: 'shard' must be I/N with 0 <= I < N (got '" + text + "')");
  };
  if (slash == std::string::npos) throw bad();
  SweepShard shard;
  try {
    shard.index = parse_int("shard", text.substr(0, slash), 0);
    shard.count = parse_int("shard", text.substr(slash + 1), 1);
  } catch (const Error&) {
    throw bad();
  }
  if (shard.index >= shard.count) throw bad();
  return shard;
}

namespace {

// Each comparison names models, strategies and aggregators of this sweep, once.
void validate_comparisons(const SweepConfig& config, const std::set<std::string>& models) {
  std::set<std::string> seen;
  for (const std::string& entry : config.comparisons) {
    const analysis::ComparisonSpec spec = analysis::parse_comparison(entry);
    for (const analysis::ComparisonSide* side : {&spec.a, &spec.b}) {
      const auto bad = [&](const std::string& what) {
        return Error("config: comparison '" + entry + "': " + what);
      };
      if (!models.contains(side->model)) throw bad("no model named '" + side->model + "'");
      if (std::find(config.strategies.begin(), config.strategies.end(), side->strategy) ==
          config.strategies.end()) {
        throw bad("strategy '" + side->strategy + "' is not in 'strategies'");
      }
      if (std::find(config.aggregators.begin(), config.aggregators.end(), side->aggregator) ==
          config.aggregators.end()) {
        throw bad("aggregator '" + side->aggregator + "' is not in 'aggregators'");
      }
    }
    if (!seen.insert(spec.text()).second) {
      throw Error("config: 'comparisons' names '" + spec.text() + "' twice");
    }
  }
}

bool names(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// Throws when `items` names an entry twice, or (`nonempty`) names none.
void check_unique(const std::string& key, const std::vector<std::string>& items, bool nonempty) {
  if (nonempty && items.empty()) throw Error("config: '" + key + "' may not be empty");
  std::set<std::string> seen;
  for (const auto& item : items) {
    if (!seen.insert(item).second) throw Error("config: '" + key + "' names '" + item + "' twice");
  }
}

std::set<std::string> unique_model_names(const SweepConfig& config) {
  std::set<std::string> model_names;
  for (const auto& model : sweep_models(config)) {
    if (!model_names.insert(model.name).second) {
      throw Error("config: two models are named '" + model.name + "' (use name=path)");
    }
  }
  return model_names;
}

void check_policies(const SweepConfig& config) {
  check_unique("policies", config.policies, false);
  if (config.beta_threshold > 1.0 || config.verifier_threshold > 1.0) {
    throw Error("config: 'beta_threshold' and 'verifier_threshold' must be <= 1 (a probability "
                "and a value score)");
  }
  if (names(config.policies, "allocate") && config.allocate_budget < config.policy_round) {
    throw Error("config: 'allocate_budget' (" + format_number(config.allocate_budget) +
                ") must pay for the first round ('policy_round' " +
                std::to_string(config.policy_round) + ")");
  }
}

void check_searches(const SweepConfig& config) {
  check_unique("searches", config.searches, false);
  if (config.searches.empty()) return;
  if (config.search_rows.empty()) throw Error("config: 'search_rows' may not be empty");
  if (config.search_temperature <= 0.0) {
    throw Error("config: 'search_temperature' must be > 0 (got " +
                format_number(config.search_temperature) + ")");
  }
  if (config.search_ess_threshold > 1.0) {
    throw Error("config: 'search_ess_threshold' must be <= 1 (a fraction of the particles; "
                "got " + format_number(config.search_ess_threshold) + ")");
  }
  std::set<int> rows_seen;
  for (int rows : config.search_rows) {
    if (!rows_seen.insert(rows).second) {
      throw Error("config: 'search_rows' names " + std::to_string(rows) + " twice");
    }
    if (names(config.searches, "beam") && rows % config.search_expand != 0) {
      throw Error("config: 'search_rows' entry " + std::to_string(rows) +
                  " is not a multiple of 'search_expand' " + std::to_string(config.search_expand) +
                  " (beam runs rows / expand beams)");
    }
  }
}

void check_budget_units(const SweepConfig& config) {
  for (double budget : config.budgets) {
    if (config.budget_unit == "steps" && budget != std::floor(budget)) {
      throw Error("config: 'budgets' in steps must be whole numbers (got " +
                  format_number(budget) + ")");
    }
  }
}

}  // namespace

void validate(const SweepConfig& config) {
  check_fields(config, sweep_config_fields());
  parse_shard(config.shard);
  if (config.models.empty()) throw Error("config: 'models' must name at least one model");
  check_unique("samplers", config.samplers, true);
  check_sampler_sites(config);
  const std::set<std::string> model_names = unique_model_names(config);
  check_unique("strategies", config.strategies, true);
  check_unique("halting", config.halting, true);
  check_unique("aggregators", config.aggregators, true);
  if (config.budgets.empty()) throw Error("config: 'budgets' may not be empty");
  check_policies(config);
  check_searches(config);
  validate_comparisons(config, model_names);
  check_budget_units(config);
}

nlohmann::json to_json(const SweepConfig& config) {
  return fields_to_json(config, sweep_config_fields());
}

nlohmann::json result_defining_json(const SweepConfig& config) {
  nlohmann::json json = to_json(config);
  // A shard's results are a part of the same sweep's, so the shard does not change the plan.
  for (const char* key : {"output", "row_cap", "memory_limit", "threads", "overwrite", "shard"}) {
    json.erase(key);  // results do not depend on these
  }
  // Without policies their settings decide nothing, so sweeps written before they existed
  // still resume.
  if (config.policies.empty()) {
    for (const char* key : {"policies", "policy_round", "beta_threshold", "agreement_window",
                            "verifier_threshold", "allocate_budget"}) {
      json.erase(key);
    }
  }
  // Sweeps without samplers or verifiers keep the hash of sweeps written before they existed.
  if (config.samplers == std::vector<std::string>{"none"} && config.verifiers.empty()) {
    for (const char* key : {"samplers", "noise_mode", "noise_at", "dropout_at", "dropout_sites",
                            "dropout_layers", "verifiers"}) {
      json.erase(key);
    }
  }
  if (config.searches.empty()) {
    for (const char* key : {"searches", "search_rows", "search_expand", "search_temperature",
                            "search_resample_every", "search_ess_threshold"}) {
      json.erase(key);
    }
  }
  return json;
}

}  // namespace gram::config
