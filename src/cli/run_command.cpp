// gram run: loads the model and puzzles, runs width x depth trajectories, writes JSONL.
//
// Options come from the run-config table: `--config FILE` (YAML), `--set key=value`, and
// `--<key> value` for every key, applied in that order of appearance.
//
// Under mpirun or srun every rank loads the model and puzzles, runs its share of the
// (puzzle, trajectory) items (engine/distributed_run.h), and rank 0 writes the one result file
// from all ranks' results, through the same code as a run on one process.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "backend/backend.h"
#include "cli/commands.h"
#include "cli/model_task.h"
#include "cli/result_file.h"
#include "cli/run_context_record.h"
#include "cli/run_rows.h"
#include "cli/run_search.h"
#include "cli/sampling_setup.h"
#include "config/run_config.h"
#include "engine/distributed_run.h"
#include "engine/puzzle_results.h"
#include "engine/run_execution.h"
#include "model/weights.h"
#include "tasks/task.h"
#include "util/error.h"
#include "util/jsonl_writer.h"

namespace gram::cli {

namespace {

// What a run reads: the model (with its sampler and verifier), its task and the puzzles.
struct RunInputs {
  model::Model model;
  std::unique_ptr<tasks::Task> task;
  SamplingSetup sampling;
  std::vector<engine::Aggregator> aggregators;
  std::vector<tasks::Puzzle> puzzles;
};

// Loads and checks everything the run reads; a model that cannot serve the aggregators, the
// adaptive rule or the search is refused naming it.
RunInputs read_run_inputs(const config::RunConfig& run) {
  RunInputs inputs{model::load_model(run.model), {}, {}, {}, {}};
  const model::ModelConfig& config = inputs.model.config;
  inputs.task = model_task(inputs.model, run.model);
  if (inputs.task->seq_len() != config.seq_len || inputs.task->vocab_size() > config.vocab_size) {
    throw Error(run.model + ": model config (seq_len " + std::to_string(config.seq_len) +
                ", vocab_size " + std::to_string(config.vocab_size) + ") does not fit task " +
                config.task);
  }
  inputs.sampling = sampling_setup(run, inputs.model);
  for (const auto& name : run.aggregators) {
    inputs.aggregators.push_back(engine::parse_aggregator(name));
    if (engine::needs_value_head(inputs.aggregators.back()) && !inputs.sampling.has_value_source) {
      throw Error("aggregator '" + name + "' needs a model with a value head or a verifier; " +
                  run.model + " has none");
    }
  }
  const bool searches = run.search != SearchChoice::kNone;
  if ((run.adaptive == AdaptiveChoice::kVerifier || searches) && !inputs.sampling.has_value_source) {
    throw Error((searches ? "search " + name_of(run.search) : "adaptive verifier") +
                " reads value scores; " + run.model + " has no value head (give a verifier)");
  }
  inputs.puzzles = inputs.task->read_file(run.puzzles);
  if (run.limit > 0 && static_cast<int>(inputs.puzzles.size()) > run.limit) {
    inputs.puzzles.resize(run.limit);
  }
  return inputs;
}

// All `width` trajectories of every puzzle, or as an adaptive rule or the allocation decides.
engine::RunShape run_shape(const config::RunConfig& run, const RunInputs& inputs) {
  engine::RunShape shape = engine::RunShape::uniform(run.width);
  switch (run.adaptive) {
    case AdaptiveChoice::kNone:
      break;
    case AdaptiveChoice::kAllocate: {
      engine::AllocationSettings allocation;
      allocation.probe = run.round;
      allocation.budget = run.budget;
      allocation.cap = run.width;
      allocation.use_values = inputs.sampling.has_value_source;
      shape.allocation = allocation;
      break;
    }
    case AdaptiveChoice::kBeta:
    case AdaptiveChoice::kAgreement:
    case AdaptiveChoice::kVerifier:
    case AdaptiveChoice::kOracle: {
      engine::AdaptiveSettings adaptive;
      adaptive.stopping = {engine::parse_stopping_rule(name_of(run.adaptive)),
                           run.stop_threshold, run.stop_window};
      adaptive.round = run.round;
      adaptive.width = run.width;
      shape.adaptive = adaptive;
      break;
    }
  }
  return shape;
}

void print_run_summary(const config::RunConfig& run, const engine::RunTotals& totals,
                       const nlohmann::json& summary, double wall) {
  std::printf("%lld puzzles, %lld trajectories (%s %d per puzzle), depth %d%s, %.2f s\n",
              static_cast<long long>(totals.puzzles), static_cast<long long>(totals.trajectories),
              run.adaptive == AdaptiveChoice::kNone
                  ? "width"
                  : ("adaptive " + name_of(run.adaptive) + ", at most").c_str(),
              run.width, run.depth, run.halting ? " (halting)" : "", wall);
  for (const auto& [name, accuracy] : summary["accuracy"].items()) {
    std::printf("  %-14s accuracy %.4f\n", name.c_str(), accuracy.get<double>());
  }
  std::printf("results: %s\n", run.output.c_str());
}

int run_command(const CommandContext& command) {
  config::RunConfig run;
  if (!config::apply_command_line(run, command.arguments, config::run_config_fields(), "gram run")) {
    std::printf("usage: gram run [--config FILE] [--set key=value] [--<key> value]...\n%s",
                config::help_text().c_str());
    return 0;
  }
  config::validate(run);
  const RunInputs inputs = read_run_inputs(run);
  if (run.search != SearchChoice::kNone) {
    return run_search(command, run, inputs.model, *inputs.task, inputs.puzzles, inputs.aggregators,
                      inputs.sampling);
  }
  engine::DistributedRun ranks(*command.communicator);
  auto backend = backend::make_backend(run.backend, run.threads, ranks.local_rank());
  const int row_cap = fit_row_cap(run, {inputs.puzzles.size(), run.width, false, 0},
                                  inputs.model.config, ranks, *backend);
  ranks.use_device_plane(*backend);

  ResultFile result_file = open_result_file(*command.communicator, run.output, run.overwrite);
  if (!result_file.opened) return 1;  // rank 0 reports it; the job ends with rank 0's status
  std::optional<JsonlWriter>& writer = result_file.writer;
  // Rank 0 writes the context record and the warning.
  const nlohmann::json context = run_context_record(command.argc, command.argv, run, inputs.model,
                                                    *backend, *inputs.task, ranks.world_size(),
                                                    inputs.sampling);
  if (ranks.is_root()) {
    writer->write(context);
    if (!inputs.sampling.verifier_warning.empty()) {
      std::fprintf(stderr, "gram: warning: %s\n", inputs.sampling.verifier_warning.c_str());
    }
  }
  engine::RunSettings settings;
  settings.depth = run.depth;
  settings.halting = run.halting;
  settings.seed = run.seed;
  engine::RunTotals totals;
  totals.value_head = inputs.sampling.has_value_source;
  const engine::RunExecution execution = engine::execute_run(
      ranks, *backend, inputs.sampling.run_model(inputs.model), *inputs.task, inputs.puzzles,
      settings, run_shape(run, inputs), row_cap, {}, [&](engine::PuzzleOutcome&& outcome) {
        writer->write(engine::puzzle_record(*inputs.task, inputs.puzzles[outcome.puzzle],
                                            outcome, inputs.aggregators, inputs.sampling.flops,
                                            totals));
      });
  if (!ranks.is_root()) return 0;
  const double wall = execution.wall_seconds;
  const nlohmann::json summary = engine::summary_record(totals, wall, inputs.sampling.flops);
  writer->write(summary);
  writer->close();
  print_run_summary(run, totals, summary, wall);
  return 0;
}

}  // namespace

GRAM_REGISTER_COMMAND("run", "run trajectories and aggregate them", run_command);

}  // namespace gram::cli
