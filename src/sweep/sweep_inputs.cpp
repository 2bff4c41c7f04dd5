// The sweep's inputs and plan (sweep_inputs.h).
#include "sweep/sweep_inputs.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "engine/sampler.h"
#include "model/verifier.h"
#include "model/weights.h"
#include "sweep/cell_metrics.h"
#include "sweep/search_cells.h"
#include "sweep/sweep_plan.h"
#include "util/error.h"

namespace gram::sweep {
namespace {

// The sampler of a sweep model's variant: its setting's kind and value with the sweep's keys
// for where and how.
engine::SamplerSettings variant_sampler(const config::SweepConfig& config,
                                        const config::SamplerSpec& spec) {
  return engine::make_sampler(spec.kind == "noise" ? spec.value : 0.0, config.noise_mode,
                              config.noise_at, spec.kind == "dropout" ? spec.value : 0.0,
                              config.dropout_at, config.dropout_sites, config.dropout_layers);
}

// Loads every model and checks that they can be compared: one task, aggregators they support.
std::vector<LoadedModel> load_models(const config::SweepConfig& config,
                                     std::span<const engine::Aggregator> aggregators) {
  std::vector<LoadedModel> models;
  for (const config::SweepModel& source : config::sweep_models(config)) {
    LoadedModel loaded{source, model::load_model(source.path), {}, {}, {}, {}};
    loaded.flops = model::count_flops(loaded.model.config);
    loaded.sampler = variant_sampler(config, source.sampler);
    engine::check_sampler(loaded.sampler, loaded.model.config, source.path);
    if (!source.verifier.empty()) {
      loaded.verifier = model::load_verifier(source.verifier);
      model::check_verifier_fits(*loaded.verifier, loaded.model);
      loaded.flops =
          model::with_verifier(loaded.flops, loaded.model.config, loaded.verifier->config);
      loaded.verifier_warning = model::verifier_model_mismatch(*loaded.verifier, source.path);
    }
    if (!models.empty() && loaded.model.config.task != models.front().model.config.task) {
      throw Error(source.path + ": task " + loaded.model.config.task + " differs from " +
                  models.front().source.path + "'s " + models.front().model.config.task +
                  " (a sweep compares models on one puzzle set)");
    }
    const auto& policies = config.policies;
    if (std::find(policies.begin(), policies.end(), "verifier") != policies.end() &&
        !loaded.has_value_source()) {
      throw Error("policy 'verifier' needs a value head or a verifier; " + source.path +
                  " has none");
    }
    if (!config.searches.empty() && !loaded.has_value_source()) {
      throw Error("searches are guided by the value head; " + source.path + " has none");
    }
    if (!config.searches.empty() && !loaded.stochastic()) {
      throw Error("searches need a stochastic model: " + source.path + " (" + source.name +
                  ") is deterministic, so every row would follow the same trajectory");
    }
    for (engine::Aggregator aggregator : aggregators) {
      if (engine::needs_value_head(aggregator) && !loaded.has_value_source()) {
        throw Error("aggregator '" + engine::aggregator_name(aggregator) +
                    "' needs a value head or a verifier; " + source.path + " has none");
      }
    }
    models.push_back(std::move(loaded));
  }
  return models;
}

// The entropy run of each (model, halting): the deepest with at least two trajectories (entropy
// needs several answers), then the widest.
std::map<std::pair<int, bool>, int> entropy_runs(const SweepPlan& plan) {
  std::map<std::pair<int, bool>, int> entropy_run;
  auto entropy_rank = [](const PlannedRun& run) {
    return std::make_tuple(run.width >= 2, run.depth, run.width);
  };
  for (int run = 0; run < static_cast<int>(plan.runs.size()); ++run) {
    const PlannedRun& candidate = plan.runs[run];
    auto [found, inserted] = entropy_run.emplace(std::make_pair(candidate.model, candidate.halting), run);
    if (!inserted && entropy_rank(candidate) > entropy_rank(plan.runs[found->second])) {
      found->second = run;
    }
  }
  return entropy_run;
}

}  // namespace

SweepInputs read_inputs(const config::SweepConfig& config) {
  config::validate(config);
  SweepInputs inputs;
  for (const auto& name : config.aggregators) {
    inputs.aggregators.push_back(engine::parse_aggregator(name));
  }
  inputs.models = load_models(config, inputs.aggregators);
  inputs.task = tasks::make_task(tasks::TaskSpec::parse(inputs.models.front().model.config.task));
  for (const LoadedModel& loaded : inputs.models) {
    if (inputs.task->seq_len() != loaded.model.config.seq_len ||
        inputs.task->vocab_size() > loaded.model.config.vocab_size) {
      throw Error(loaded.source.path + ": model config does not fit task " +
                  inputs.task->spec().to_string());
    }
  }
  inputs.puzzles = inputs.task->read_file(config.puzzles);
  if (config.limit > 0 && static_cast<int>(inputs.puzzles.size()) > config.limit) {
    inputs.puzzles.resize(config.limit);
  }
  if (inputs.puzzles.empty()) throw Error(config.puzzles + ": no puzzles");
  inputs.truth = puzzle_truth(*inputs.task, inputs.puzzles);
  return inputs;
}

SweepWork plan_work(const config::SweepConfig& config, std::span<const LoadedModel> models) {
  PlanSettings settings;
  settings.budget_in_flops = config.budget_unit == "flops";
  settings.budgets = config.budgets;
  settings.strategies = config.strategies;
  settings.fixed_depth = config.fixed_depth;
  for (const auto& mode : config.halting) settings.halting_modes.push_back(mode == "on");
  settings.derive = config.derive;
  SweepWork work;
  for (const LoadedModel& loaded : models) {
    work.plan_models.push_back({loaded.source.name, loaded.flops.per_step});
  }
  work.plan = plan_sweep(settings, work.plan_models);
  if (work.plan.cells.empty()) {
    throw Error("config: no cell fits the budgets (" +
                (work.plan.skipped.empty() ? std::string("no budgets") : work.plan.skipped.front()) + ")");
  }
  work.searches = plan_searches(config, work.plan_models);
  check_search_plan(work.searches, work.plan, work.plan_models);
  work.entropy_run = entropy_runs(work.plan);
  return work;
}

}  // namespace gram::sweep
