// gram run: loads the model and puzzles, runs width x depth trajectories, writes JSONL.
//
// Options come from the run-config table: `--config FILE` (YAML), `--set key=value`, and
// `--<key> value` for every key, applied in that order of appearance.
//
// Under mpirun or srun every rank loads the model and puzzles, runs its share of the
// (puzzle, trajectory) items (engine/distributed_run.h), and rank 0 writes the one result file
// from all ranks' results, through the same code as a run on one process.
#include <chrono>
#include <cstdio>
#include <optional>

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

int run_command(const CommandContext& command) {
  const std::vector<std::string>& arguments = command.arguments;
  const int argc = command.argc;
  char** argv = command.argv;
  config::RunConfig run;
  if (!config::apply_command_line(run, arguments, config::run_config_fields(), "gram run")) {
    std::printf("usage: gram run [--config FILE] [--set key=value] [--<key> value]...\n%s",
                config::help_text().c_str());
    return 0;
  }
  config::validate(run);

  model::Model model = model::load_model(run.model);
  const auto task = model_task(model, run.model);
  if (task->seq_len() != model.config.seq_len || task->vocab_size() > model.config.vocab_size) {
    throw Error(run.model + ": model config (seq_len " + std::to_string(model.config.seq_len) +
                ", vocab_size " + std::to_string(model.config.vocab_size) + ") does not fit task " +
                model.config.task);
  }
  const SamplingSetup sampling = sampling_setup(run, model);
  std::vector<engine::Aggregator> aggregators;
  for (const auto& name : run.aggregators) {
    aggregators.push_back(engine::parse_aggregator(name));
    if (engine::needs_value_head(aggregators.back()) && !sampling.has_value_source) {
      throw Error("aggregator '" + name + "' needs a model with a value head or a verifier; " +
                  run.model + " has none");
    }
  }
  if ((run.adaptive == "verifier" || run.search != "none") && !sampling.has_value_source) {
    throw Error((run.search != "none" ? "search " + run.search : "adaptive verifier") +
                " reads value scores; " + run.model + " has no value head (give a verifier)");
  }
  std::vector<tasks::Puzzle> puzzles = task->read_file(run.puzzles);
  if (run.limit > 0 && static_cast<int>(puzzles.size()) > run.limit) puzzles.resize(run.limit);
  if (run.search != "none") {
    return run_search(command, run, model, *task, puzzles, aggregators, sampling);
  }

  engine::DistributedRun ranks(*command.communicator);
  auto backend = backend::make_backend(run.backend, run.threads, ranks.local_rank());
  // Fit the run to memory before allocating anything: this rank's trajectories, the row cap
  // lowered until weights + rows (+ results, on the CPU) fit the backend's memory (results do
  // not depend on the row cap), or one line with the figures when a single row cannot fit.
  const std::uint64_t trajectories = static_cast<std::uint64_t>(puzzles.size()) * run.width;
  const std::uint64_t rows_needed =
      (trajectories + ranks.world_size() - 1) / static_cast<std::uint64_t>(ranks.world_size());
  const int wanted_rows =
      static_cast<int>(std::min<std::uint64_t>(run.row_cap, std::max<std::uint64_t>(rows_needed, 1)));
  const engine::RowPlan rows =
      engine::plan_rows(engine::estimate_memory(model.config, rows_needed, 0), wanted_rows,
                        run.memory_limit, backend->memory_capacity());
  if (rows.row_cap < wanted_rows && ranks.is_root()) {
    std::printf("row_cap %d lowered to %d to fit %s of %s (%s needed)\n", wanted_rows,
                rows.row_cap, engine::format_bytes(rows.limit_bytes).c_str(),
                rows.limit_source.c_str(), engine::format_bytes(rows.needed_bytes).c_str());
  }
  ranks.use_device_plane(*backend);
  const auto items = engine::make_work(0, static_cast<std::uint32_t>(puzzles.size()), run.width);
  engine::RecursiveModel recursive(model, *backend, rows.row_cap, sampling.sampler);
  sampling.attach(recursive);
  const model::FlopCounts& flops = sampling.flops;

  ResultFile result_file = open_result_file(*command.communicator, run.output, run.overwrite);
  if (!result_file.opened) return 1;  // rank 0 reports it; the job ends with rank 0's status
  std::optional<JsonlWriter>& writer = result_file.writer;
  const nlohmann::json context =
      run_context_record(argc, argv, run, model, *backend, *task, ranks.world_size(), sampling);
  if (ranks.is_root()) writer->write(context);
  if (ranks.is_root() && !sampling.verifier_warning.empty()) {
    std::fprintf(stderr, "gram: warning: %s\n", sampling.verifier_warning.c_str());
  }

  engine::RunSettings settings;
  settings.depth = run.depth;
  settings.halting = run.halting;
  settings.seed = run.seed;
  engine::Runner runner(recursive, *task, settings);
  engine::RunTotals totals;
  totals.value_head = sampling.has_value_source;
  const auto start = std::chrono::steady_clock::now();
  auto write_puzzle = [&](engine::PuzzleOutcome&& outcome) {
    writer->write(engine::puzzle_record(*task, puzzles[outcome.puzzle], outcome, aggregators,
                                        flops, totals));
  };
  if (run.adaptive == "none") {
    engine::PuzzleCollector collector(0, static_cast<std::uint32_t>(puzzles.size()), run.width);
    ranks.run(runner, puzzles, items, {}, [&](engine::TrajectoryResult&& result) {
      collector.add(std::move(result), write_puzzle);
    });
  } else if (run.adaptive == "allocate") {
    engine::AllocationSettings allocation;
    allocation.probe = run.round;
    allocation.budget = run.budget;
    allocation.cap = run.width;
    allocation.use_values = sampling.has_value_source;
    engine::run_allocated(ranks, runner, puzzles, allocation, write_puzzle);
  } else {
    engine::AdaptiveSettings adaptive;
    adaptive.stopping = {engine::parse_stopping_rule(run.adaptive), run.stop_threshold,
                         run.stop_window};
    adaptive.round = run.round;
    adaptive.width = run.width;
    engine::run_adaptive(ranks, runner, puzzles, adaptive, write_puzzle);
  }
  if (!ranks.is_root()) return 0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json summary = engine::summary_record(totals, wall, flops);
  writer->write(summary);
  writer->close();

  std::printf("%lld puzzles, %lld trajectories (%s %d per puzzle), depth %d%s, %.2f s\n",
              static_cast<long long>(totals.puzzles), static_cast<long long>(totals.trajectories),
              run.adaptive == "none" ? "width" : ("adaptive " + run.adaptive + ", at most").c_str(),
              run.width, run.depth, run.halting ? " (halting)" : "", wall);
  for (const auto& [name, accuracy] : summary["accuracy"].items()) {
    std::printf("  %-14s accuracy %.4f\n", name.c_str(), accuracy.get<double>());
  }
  std::printf("results: %s\n", run.output.c_str());
  return 0;
}

}  // namespace

GRAM_REGISTER_COMMAND("run", "run trajectories and aggregate them", run_command);

}  // namespace gram::cli
