#pragma once
// The first steps of `gram sweep` (sweep.cpp draws the whole pipeline): every model loaded and
// checked against the others, the puzzles read, and the plan of runs, cells and searches.
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/sweep_config.h"
#include "engine/aggregate.h"
#include "engine/run_execution.h"
#include "engine/sampler.h"
#include "model/verifier.h"
#include "model/weights.h"
#include "sweep/cell_metrics.h"
#include "sweep/search_cells.h"
#include "sweep/sweep_plan.h"
#include "tasks/task.h"

namespace gram::sweep {

struct LoadedModel {
  config::SweepModel source;
  model::Model model;
  model::FlopCounts flops;  // the verifier's counted in place of the value head
  engine::SamplerSettings sampler;
  std::optional<model::Verifier> verifier;
  std::string verifier_warning;  // trained on another version of the model file, or ""

  bool has_value_source() const { return model.config.has_value_head || verifier.has_value(); }
  bool stochastic() const { return model.config.noise.enabled || sampler.active(); }
  // The model with its sampler and verifier, as engine::execute_run takes it.
  engine::RunModel run_model() const { return {model, sampler, verifier ? &*verifier : nullptr}; }
};

// What every step reads: the models, the puzzles and what each puzzle's answers must be.
struct SweepInputs {
  std::vector<engine::Aggregator> aggregators;
  std::vector<LoadedModel> models;
  std::unique_ptr<tasks::Task> task;
  std::vector<tasks::Puzzle> puzzles;
  PuzzleTruth truth;
};

// Validates the config, loads the models and the puzzles; a model that cannot join the
// comparison (another task, an aggregator or policy it cannot serve) is refused naming it.
SweepInputs read_inputs(const config::SweepConfig& config);

// The runs and cells, the searches, and for each (model, halting) the run whose trajectories
// give its entropy-by-depth curve.
struct SweepWork {
  std::vector<PlanModel> plan_models;
  SweepPlan plan;
  std::vector<SearchRun> searches;
  std::map<std::pair<int, bool>, int> entropy_run;
};

SweepWork plan_work(const config::SweepConfig& config, std::span<const LoadedModel> models);

}  // namespace gram::sweep
