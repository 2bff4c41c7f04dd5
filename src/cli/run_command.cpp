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
#include "cli/run_search.h"
#include "cli/sampling_setup.h"
#include "config/run_config.h"
#include "engine/distributed_run.h"
#include "engine/adaptive_run.h"
#include "engine/memory_plan.h"
#include "engine/puzzle_results.h"
#include "engine/recursive_model.h"
#include "engine/runner.h"
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
  if ((run.adaptive == "verifier" || run.search != "none") && !inputs.sampling.has_value_source) {
    throw Error((run.search != "none" ? "search " + run.search : "adaptive verifier") +
                " reads value scores; " + run.model + " has no value head (give a verifier)");
  }
  inputs.puzzles = inputs.task->read_file(run.puzzles);
  if (run.limit > 0 && static_cast<int>(inputs.puzzles.size()) > run.limit) {
    inputs.puzzles.resize(run.limit);
  }
  return inputs;
}

// Fits the run to memory before allocating anything: this rank's trajectories, the row cap
// lowered until weights + rows (+ results, on the CPU) fit the backend's memory (results do not
// depend on the row cap), or one line with the figures when a single row cannot fit.
int fit_row_cap(const config::RunConfig& run, const RunInputs& inputs,
                const engine::DistributedRun& ranks, const backend::Backend& backend) {
  const std::uint64_t trajectories = static_cast<std::uint64_t>(inputs.puzzles.size()) * run.width;
  const std::uint64_t rows_needed =
      (trajectories + ranks.world_size() - 1) / static_cast<std::uint64_t>(ranks.world_size());
  const int wanted_rows =
      static_cast<int>(std::min<std::uint64_t>(run.row_cap, std::max<std::uint64_t>(rows_needed, 1)));
  const engine::RowPlan rows =
      engine::plan_rows(engine::estimate_memory(inputs.model.config, rows_needed, 0), wanted_rows,
                        run.memory_limit, backend.memory_capacity());
  if (rows.row_cap < wanted_rows && ranks.is_root()) {
    std::printf("row_cap %d lowered to %d to fit %s of %s (%s needed)\n", wanted_rows,
                rows.row_cap, engine::format_bytes(rows.limit_bytes).c_str(),
                rows.limit_source.c_str(), engine::format_bytes(rows.needed_bytes).c_str());
  }
  return rows.row_cap;
}

// Runs every puzzle's trajectories: all `width` of them, or as an adaptive rule or the
// allocation decides; each finished puzzle goes to `write_puzzle` on rank 0.
void execute_trajectories(const config::RunConfig& run, const RunInputs& inputs,
                          engine::DistributedRun& ranks, engine::Runner& runner,
                          const std::function<void(engine::PuzzleOutcome&&)>& write_puzzle) {
  const auto puzzle_count = static_cast<std::uint32_t>(inputs.puzzles.size());
  if (run.adaptive == "none") {
    const auto items = engine::make_work(0, puzzle_count, run.width);
    engine::PuzzleCollector collector(0, puzzle_count, run.width);
    ranks.run(runner, inputs.puzzles, items, {}, [&](engine::TrajectoryResult&& result) {
      collector.add(std::move(result), write_puzzle);
    });
  } else if (run.adaptive == "allocate") {
    engine::AllocationSettings allocation;
    allocation.probe = run.round;
    allocation.budget = run.budget;
    allocation.cap = run.width;
    allocation.use_values = inputs.sampling.has_value_source;
    engine::run_allocated(ranks, runner, inputs.puzzles, allocation, write_puzzle);
  } else {
    engine::AdaptiveSettings adaptive;
    adaptive.stopping = {engine::parse_stopping_rule(run.adaptive), run.stop_threshold,
                         run.stop_window};
    adaptive.round = run.round;
    adaptive.width = run.width;
    engine::run_adaptive(ranks, runner, inputs.puzzles, adaptive, write_puzzle);
  }
}

void print_run_summary(const config::RunConfig& run, const engine::RunTotals& totals,
                       const nlohmann::json& summary, double wall) {
  std::printf("%lld puzzles, %lld trajectories (%s %d per puzzle), depth %d%s, %.2f s\n",
              static_cast<long long>(totals.puzzles), static_cast<long long>(totals.trajectories),
              run.adaptive == "none" ? "width" : ("adaptive " + run.adaptive + ", at most").c_str(),
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
  if (run.search != "none") {
    return run_search(command, run, inputs.model, *inputs.task, inputs.puzzles, inputs.aggregators,
                      inputs.sampling);
  }
  engine::DistributedRun ranks(*command.communicator);
  auto backend = backend::make_backend(run.backend, run.threads, ranks.local_rank());
  const int row_cap = fit_row_cap(run, inputs, ranks, *backend);
  ranks.use_device_plane(*backend);
  engine::RecursiveModel recursive(inputs.model, *backend, row_cap, inputs.sampling.sampler);
  inputs.sampling.attach(recursive);

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
  engine::Runner runner(recursive, *inputs.task, settings);
  engine::RunTotals totals;
  totals.value_head = inputs.sampling.has_value_source;
  const auto start = std::chrono::steady_clock::now();
  execute_trajectories(run, inputs, ranks, runner, [&](engine::PuzzleOutcome&& outcome) {
    writer->write(engine::puzzle_record(*inputs.task, inputs.puzzles[outcome.puzzle], outcome,
                                        inputs.aggregators, inputs.sampling.flops, totals));
  });
  if (!ranks.is_root()) return 0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json summary = engine::summary_record(totals, wall, inputs.sampling.flops);
  writer->write(summary);
  writer->close();
  print_run_summary(run, totals, summary, wall);
  return 0;
}

}  // namespace

GRAM_REGISTER_COMMAND("run", "run trajectories and aggregate them", run_command);

}  // namespace gram::cli
