// gram run: loads the model and puzzles, runs width x depth trajectories, writes JSONL.
//
// Options come from the run-config table: `--config FILE` (YAML), `--set key=value`, and
// `--<key> value` for every key, applied in that order of appearance.
#include <chrono>
#include <cstdio>

#include "backend/backend.h"
#include "cli/commands.h"
#include "config/run_config.h"
#include "engine/puzzle_results.h"
#include "engine/recursive_model.h"
#include "engine/runner.h"
#include "model/weights.h"
#include "tasks/task.h"
#include "util/error.h"
#include "util/jsonl_writer.h"
#include "util/run_context.h"

namespace gram::cli {

namespace {

int run_command(const CommandContext& command) {
  const std::vector<std::string>& arguments = command.arguments;
  const int argc = command.argc;
  char** argv = command.argv;
  config::RunConfig run;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& flag = arguments[i];
    if (flag == "--help" || flag == "-h") {
      std::printf("usage: gram run [--config FILE] [--set key=value] [--<key> value]...\n%s",
                  config::help_text().c_str());
      return 0;
    }
    auto value = [&]() -> std::string {
      if (i + 1 >= arguments.size()) throw Error(flag + ": needs a value");
      return arguments[++i];
    };
    if (flag == "--config") {
      config::apply_yaml_file(run, value());
    } else if (flag == "--set") {
      config::apply_override(run, value());
    } else if (flag.rfind("--", 0) == 0 && config::find_field(flag.substr(2)) != nullptr) {
      const std::string key = flag.substr(2);
      if (key == "halting" || key == "overwrite") {
        // Booleans may stand alone: `--halting` means true.
        const bool has_value = i + 1 < arguments.size() && arguments[i + 1].rfind("--", 0) != 0;
        config::apply_override(run, key + "=" + (has_value ? value() : std::string("true")));
      } else {
        config::apply_override(run, key + "=" + value());
      }
    } else {
      throw Error("gram run: unknown option '" + flag + "' (see gram run --help)");
    }
  }
  config::validate(run);

  model::Model model = model::load_model(run.model);
  const auto task = tasks::make_task(tasks::TaskSpec::parse(model.config.task));
  if (task->seq_len() != model.config.seq_len || task->vocab_size() > model.config.vocab_size) {
    throw Error(run.model + ": model config (seq_len " + std::to_string(model.config.seq_len) +
                ", vocab_size " + std::to_string(model.config.vocab_size) + ") does not fit task " +
                model.config.task);
  }
  std::vector<engine::Aggregator> aggregators;
  for (const auto& name : run.aggregators) {
    aggregators.push_back(engine::parse_aggregator(name));
    if (engine::needs_value_head(aggregators.back()) && !model.config.has_value_head) {
      throw Error("aggregator '" + name + "' needs a model with a value head; " + run.model +
                  " has none");
    }
  }
  std::vector<tasks::Puzzle> puzzles = task->read_file(run.puzzles);
  if (run.limit > 0 && static_cast<int>(puzzles.size()) > run.limit) puzzles.resize(run.limit);

  auto backend = backend::make_backend(run.backend, run.threads);
  const auto items = engine::make_work(0, static_cast<std::uint32_t>(puzzles.size()), run.width);
  engine::RecursiveModel recursive(model, *backend,
                                   std::min<int>(run.row_cap, static_cast<int>(items.size())));
  const model::FlopCounts flops = model::count_flops(model.config);

  JsonlWriter writer(run.output, run.overwrite);
  nlohmann::json context = to_json(capture_run_context(argc, argv));
  context["type"] = "context";
  context["config"] = config::to_json(run);
  context["model"] = {{"path", run.model},
                      {"config", model.config.to_json()},
                      {"parameters", model::count_parameters(model.config)},
                      {"flops_per_application", flops.per_application},
                      {"flops_per_step", flops.per_step}};
  context["backend"] = backend->describe();
  context["task"] = task->spec().to_string();
  writer.write(context);

  engine::RunSettings settings;
  settings.depth = run.depth;
  settings.halting = run.halting;
  settings.seed = run.seed;
  engine::Runner runner(recursive, *task, settings);
  engine::PuzzleCollector collector(0, static_cast<std::uint32_t>(puzzles.size()), run.width);
  engine::RunTotals totals;
  const auto start = std::chrono::steady_clock::now();
  runner.run(puzzles, items, [&](engine::TrajectoryResult&& result) {
    collector.add(std::move(result), [&](engine::PuzzleOutcome&& outcome) {
      writer.write(engine::puzzle_record(*task, puzzles[outcome.puzzle], outcome, aggregators,
                                         flops, totals));
    });
  });
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json summary = engine::summary_record(totals, wall, flops);
  writer.write(summary);
  writer.close();

  std::printf("%lld puzzles x %d trajectories, depth %d%s, %.2f s\n",
              static_cast<long long>(totals.puzzles), run.width, run.depth,
              run.halting ? " (halting)" : "", wall);
  for (const auto& [name, accuracy] : summary["accuracy"].items()) {
    std::printf("  %-14s accuracy %.4f\n", name.c_str(), accuracy.get<double>());
  }
  std::printf("results: %s\n", run.output.c_str());
  return 0;
}

}  // namespace

GRAM_REGISTER_COMMAND("run", "run trajectories and aggregate them", run_command);

}  // namespace gram::cli
