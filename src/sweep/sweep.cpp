#include "sweep/sweep.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include "analysis/metrics.h"
#include "backend/backend.h"
#include "engine/aggregate.h"
#include "engine/distributed_run.h"
#include "engine/memory_plan.h"
#include "engine/puzzle_results.h"
#include "engine/recursive_model.h"
#include "engine/runner.h"
#include "engine/sampler.h"
#include "model/verifier.h"
#include "model/weights.h"
#include "sweep/cell_metrics.h"
#include "backend/gemm_peak.h"
#include "sweep/policy_cells.h"
#include "sweep/progress.h"
#include "sweep/search_cells.h"
#include "sweep/shard.h"
#include "sweep/sweep_plan.h"
#include "sweep/sweep_records.h"
#include "util/error.h"
#include "model/training_record.h"
#include "util/hash.h"
#include "util/jsonl_writer.h"
#include "util/run_context.h"
#include "util/stop_signal.h"

namespace gram::sweep {
namespace {

struct LoadedModel {
  config::SweepModel source;
  model::Model model;
  model::FlopCounts flops;  // the verifier's counted in place of the value head
  engine::SamplerSettings sampler;
  std::optional<model::Verifier> verifier;
  std::string verifier_warning;  // trained on another version of the model file, or ""

  bool has_value_source() const { return model.config.has_value_head || verifier.has_value(); }
  bool stochastic() const { return model.config.noise.enabled || sampler.active(); }
  const model::Verifier* verifier_or_null() const { return verifier ? &*verifier : nullptr; }
};

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

// The model's training FLOPs and where they come from: the config's `training_flops` if it
// names the model, else the file's training record, else unknown (null).
nlohmann::json training_json(const LoadedModel& loaded) {
  const model::TrainingRecord record = model::training_record(loaded.model, loaded.source.path);
  if (loaded.source.training_flops) {
    return {{"training_flops", *loaded.source.training_flops}, {"training_source", "config"}};
  }
  if (record.flops) {
    return {{"training_flops", *record.flops}, {"training_source", "model file"}};
  }
  return {{"training_flops", nullptr}, {"training_source", nullptr}};
}

nlohmann::json latency_quantiles(std::vector<double> seconds) {
  return {{"p50", analysis::percentile(seconds, 50)},
          {"p90", analysis::percentile(seconds, 90)},
          {"p99", analysis::percentile(seconds, 99)}};
}

// Timing of a run, for its own (non-derived) cell: throughput over the run's wall time and the
// per-puzzle latencies measured from the puzzle's first trajectory start.
nlohmann::json run_timing(std::span<const engine::PuzzleOutcome> outcomes, double wall,
                          const nlohmann::json& figures) {
  std::vector<double> first_answer;
  std::vector<double> decision;
  std::size_t trajectories = 0;
  for (const engine::PuzzleOutcome& outcome : outcomes) {
    double started = outcome.trajectories.front().started_seconds;
    double first = outcome.trajectories.front().finished_seconds;
    double last = first;
    for (const auto& trajectory : outcome.trajectories) {
      started = std::min(started, trajectory.started_seconds);
      first = std::min(first, trajectory.finished_seconds);
      last = std::max(last, trajectory.finished_seconds);
    }
    first_answer.push_back(first - started);
    decision.push_back(last - started);
    trajectories += outcome.trajectories.size();
  }
  return {{"wall_s", wall},
          {"puzzles_per_s", outcomes.size() / wall},
          {"trajectories_per_s", trajectories / wall},
          {"applications_per_s", figures["applications"].get<double>() / wall},
          {"flops_per_s", figures["flops"].get<double>() / wall},
          {"time_to_first_answer_s", latency_quantiles(first_answer)},
          {"time_to_decision_s", latency_quantiles(decision)}};
}

// One raw record per puzzle: every trajectory's per-step answers, so cells can be re-derived.
nlohmann::json raw_puzzle_record(const tasks::Puzzle& puzzle, const engine::PuzzleOutcome& outcome,
                                 std::uint64_t target_hash) {
  nlohmann::json trajectories = nlohmann::json::array();
  for (const auto& trajectory : outcome.trajectories) {
    nlohmann::json answers = nlohmann::json::array();
    nlohmann::json values = nlohmann::json::array();
    std::string valid;
    std::string correct;
    for (const engine::StepAnswer& step : trajectory.history) {
      answers.push_back(hash_to_hex(step.answer_hash));
      values.push_back(step.value);
      valid += step.valid ? '1' : '0';
      const bool right = target_hash != 0 ? step.answer_hash == target_hash : step.valid;
      correct += right ? '1' : '0';
    }
    trajectories.push_back({{"trajectory", trajectory.trajectory},
                            {"steps", trajectory.steps},
                            {"halted", trajectory.halted},
                            {"answers", answers},
                            {"valid", valid},
                            {"correct", correct},
                            {"values", values}});
  }
  return {{"type", "puzzle"}, {"index", outcome.puzzle}, {"id", puzzle.id},
          {"trajectories", trajectories}};
}


// Appends to `cells` the records that shards of this sweep (OUTPUT/shards/*/cells.jsonl)
// finished and `done` lacks, in plan order (each run's cells, then its entropy curve, as a
// sweep that ran them itself would write them), and copies their raw run files. Returns the
// number of records taken in.
int merge_shards(const std::filesystem::path& directory, const std::string& plan_hash,
                 const SweepPlan& plan, std::span<const LoadedModel> models,
                 const config::SweepConfig& config,
                 const std::map<std::pair<int, bool>, int>& entropy_run,
                 std::set<std::string>& done, JsonlWriter& cells) {
  namespace fs = std::filesystem;
  std::map<std::string, nlohmann::json> found;
  std::map<std::string, fs::path> raw_files;
  std::vector<fs::path> shard_directories;
  for (const auto& entry : fs::directory_iterator(directory / "shards")) {
    if (fs::exists(entry.path() / "cells.jsonl")) shard_directories.push_back(entry.path());
  }
  std::sort(shard_directories.begin(), shard_directories.end());
  for (const fs::path& shard : shard_directories) {
    for (auto& record : read_sweep_records((shard / "cells.jsonl").string(), plan_hash)) {
      if (record.key.empty()) record.key = policy_record_key(record.json);
      if (record.key.empty()) continue;
      const fs::path raw = shard / "runs" / (record.source_run + ".jsonl");
      if (fs::exists(raw)) raw_files.emplace(record.source_run, raw);
      found.emplace(record.key, std::move(record.json));
    }
  }
  int merged = 0;
  for (int run = 0; run < static_cast<int>(plan.runs.size()); ++run) {
    const PlannedRun& planned = plan.runs[run];
    std::vector<std::string> keys;
    for (const PlannedCell& cell : plan.cells) {
      if (cell.run != run) continue;
      keys.push_back(cell_key(models[cell.model].source.name, cell.halting, cell.budget,
                              cell.width, cell.depth));
    }
    if (entropy_run.at({planned.model, planned.halting}) == run) {
      keys.push_back(entropy_key(planned.name));
    }
    for (const Policy& policy :
         sweep_policies(config, models[planned.model].has_value_source())) {
      if (policy.fits(planned.width)) keys.push_back(policy_key(planned.name, policy.name));
    }
    bool took_any = false;
    for (const std::string& key : keys) {
      const auto record = found.find(key);
      if (done.contains(key) || record == found.end()) continue;
      cells.write(record->second);
      done.insert(key);
      took_any = true;
      ++merged;
    }
    const auto raw = raw_files.find(planned.name);
    const fs::path target = directory / "runs" / (planned.name + ".jsonl");
    if (took_any && raw != raw_files.end() && !fs::exists(target)) {
      fs::create_directories(target.parent_path());
      fs::copy_file(raw->second, target);
    }
  }
  return merged;
}

// What a sweep stopped by a signal has on file, kept up to date as it goes (rank 0).
struct StopReport {
  std::string cells_path;
  int cells = 0;
  int cells_on_file = 0;      // this share's cells in cells.jsonl, all synced
  std::string run_under_way;  // dropped on a stop (its cells need all of it); runs again
};

// Runs the pending searches after every width run, each rank a block of whole puzzles; rank 0
// compares each with the uniform cells on file, whichever process wrote them (search_cells.h),
// and writes its records (`cells` is null on the other ranks).
void run_searches(std::span<const SearchRun> searches, std::span<const int> pending,
                  const std::map<int, int>& row_caps, std::span<const LoadedModel> models,
                  engine::DistributedRun& ranks, backend::Backend& backend,
                  const tasks::Task& task, std::span<const tasks::Puzzle> puzzles,
                  const PuzzleTruth& truth, std::span<const engine::Aggregator> aggregators,
                  std::uint64_t seed, const std::filesystem::path& directory,
                  const std::string& plan_hash, JsonlWriter* cells, Progress& progress,
                  StopReport& stop_report) {
  std::vector<nlohmann::json> uniform_cells;
  if (cells) {
    cells->sync();
    for (SweepRecord& record : read_sweep_records(cells->path(), plan_hash)) {
      if (record.type == "cell") uniform_cells.push_back(std::move(record.json));
    }
  }
  int number = 0;
  for (int index : pending) {
    const SearchRun& search = searches[index];
    const LoadedModel& loaded = models[search.model];
    const int rows = engine::rows_per_searched_puzzle(search.settings);
    stop_report.run_under_way = search.name;
    if (cells) cells->check_in_place();
    progress.start_run("search " + std::to_string(++number) + "/" +
                       std::to_string(pending.size()) + " " + search.name);
    engine::rank_log("search " + search.name + ": start");
    std::optional<JsonlWriter> raw;
    if (cells) {
      raw.emplace((directory / "runs" / (search.name + ".jsonl")).string(), true);
      raw->write({{"type", "search_run"}, {"name", search.name}, {"model", loaded.source.name},
                  {"search", engine::search_kind_name(search.settings.kind)},
                  {"settings", search_settings_json(search.settings)}, {"rows", rows},
                  {"depth", search.settings.depth}, {"seed", seed}});
    }
    engine::RunTotals totals;
    std::vector<engine::SearchOutcome> searched;
    const auto start = std::chrono::steady_clock::now();
    execute_search(
        ranks, loaded.model, loaded.sampler, loaded.verifier_or_null(), backend, task, puzzles,
        search, row_caps.at(index),
        [&](const engine::SearchOutcome&) {
          progress.advance(static_cast<double>(rows) * search.settings.depth);
          throw_if_stop_requested();
        },
        [&](engine::SearchOutcome&& outcome) {
          // Without its timing, like every raw file: the same seed writes the same bytes,
          // however often the sweep was stopped and resumed and on however many ranks.
          nlohmann::json puzzle_record = engine::search_puzzle_record(
              task, puzzles[outcome.outcome.puzzle], outcome, aggregators, loaded.flops, totals);
          puzzle_record.erase("time_to_first_answer_s");
          puzzle_record.erase("time_to_decision_s");
          raw->write(puzzle_record);
          searched.push_back(std::move(outcome));
        });
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!cells) continue;
    raw->close();

    std::vector<nlohmann::json> matching;
    for (const nlohmann::json& cell : uniform_cells) {
      if (cell.value("model", "") == loaded.source.name && !cell.value("halting", true) &&
          cell.value("depth", 0) == search.settings.depth) {
        matching.push_back(cell);
      }
    }
    nlohmann::json record = {{"type", "search"},
                             {"model", loaded.source.name},
                             {"halting", false},
                             {"search", engine::search_kind_name(search.settings.kind)},
                             {"settings", search_settings_json(search.settings)},
                             {"width", rows},
                             {"depth", search.settings.depth},
                             {"source_run", search.name}};
    const CellCosts costs{loaded.flops.applications_per_step, loaded.flops.per_step};
    record.update(search_figures(searched, truth, aggregators, search, costs, matching));
    record["timing"] = {{"wall_s", wall}, {"puzzles_per_s", puzzles.size() / wall}};
    cells->write(record);
    cells->sync();
    stop_report.run_under_way.clear();
    progress.finish_run(wall);
  }
}

SweepSummary run_sweep_until_done_or_stopped(const config::SweepConfig& config, int argc,
                                             char** argv, dist::Communicator& communicator,
                                             StopReport& stop_report) {
  const auto sweep_start = std::chrono::steady_clock::now();
  config::validate(config);
  std::vector<engine::Aggregator> aggregators;
  for (const auto& name : config.aggregators) aggregators.push_back(engine::parse_aggregator(name));
  const std::vector<LoadedModel> models = load_models(config, aggregators);

  const auto task = tasks::make_task(tasks::TaskSpec::parse(models.front().model.config.task));
  for (const LoadedModel& loaded : models) {
    if (task->seq_len() != loaded.model.config.seq_len ||
        task->vocab_size() > loaded.model.config.vocab_size) {
      throw Error(loaded.source.path + ": model config does not fit task " +
                  task->spec().to_string());
    }
  }
  std::vector<tasks::Puzzle> puzzles = task->read_file(config.puzzles);
  if (config.limit > 0 && static_cast<int>(puzzles.size()) > config.limit) {
    puzzles.resize(config.limit);
  }
  if (puzzles.empty()) throw Error(config.puzzles + ": no puzzles");
  const PuzzleTruth truth = puzzle_truth(*task, puzzles);

  PlanSettings settings;
  settings.budget_in_flops = config.budget_unit == "flops";
  settings.budgets = config.budgets;
  settings.strategies = config.strategies;
  settings.fixed_depth = config.fixed_depth;
  for (const auto& mode : config.halting) settings.halting_modes.push_back(mode == "on");
  settings.derive = config.derive;
  std::vector<PlanModel> plan_models;
  for (const LoadedModel& loaded : models) {
    plan_models.push_back({loaded.source.name, loaded.flops.per_step});
  }
  const SweepPlan plan = plan_sweep(settings, plan_models);
  if (plan.cells.empty()) {
    throw Error("config: no cell fits the budgets (" +
                (plan.skipped.empty() ? std::string("no budgets") : plan.skipped.front()) + ")");
  }
  const std::vector<SearchRun> searches = plan_searches(config, plan_models);
  check_search_plan(searches, plan, plan_models);

  // The run that gives each (model, halting) its entropy-by-depth curve: the deepest of those
  // with at least two trajectories (entropy needs several answers), then the widest.
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

  // ---- the output directory: new, resumed, or started over ----------------------------------
  // Rank 0 alone reads and writes the result files and decides what is left to run; the other
  // ranks learn the list of runs from it, so every rank executes the same runs in the same order.
  namespace fs = std::filesystem;
  engine::DistributedRun ranks(communicator);
  const config::SweepShard shard = config::parse_shard(config.shard);
  const fs::path root_directory(config.output);
  const fs::path directory =
      shard.count == 1 ? root_directory
                       : root_directory / "shards" /
                             (std::to_string(shard.index) + "-of-" + std::to_string(shard.count));
  const std::string cells_path = (directory / "cells.jsonl").string();
  const std::string plan_hash =
      hash_to_hex(fnv1a64(config::result_defining_json(config).dump() + "|" + config.puzzles));
  const std::vector<bool> in_shard = runs_of_shard(plan, plan_models, shard);

  auto backend = backend::make_backend(config.backend, config.threads, ranks.local_rank());
  ranks.use_device_plane(*backend);
  const backend::MemoryCapacity capacity = backend->memory_capacity();
  std::set<std::string> done;
  std::optional<JsonlWriter> cells;
  SweepSummary summary;
  summary.cells = static_cast<int>(plan.cells.size());
  summary.cells_path = cells_path;
  stop_report.cells_path = cells_path;
  stop_report.cells = summary.cells;
  std::vector<int> pending_runs;
  std::vector<int> pending_searches;
  if (ranks.is_root()) {
    for (const std::string& line : plan.skipped) {
      std::fprintf(stderr, "sweep: skipped: %s\n", line.c_str());
    }
    if (config.overwrite) {
      fs::remove(cells_path);
      fs::remove_all(directory / "runs");
      if (shard.count == 1) fs::remove_all(directory / "shards");
    } else if (fs::exists(cells_path)) {
      for (const SweepRecord& record : read_sweep_records(cells_path, plan_hash)) {
        if (!record.key.empty()) done.insert(record.key);
        if (record.key.empty() && !policy_record_key(record.json).empty()) {
          done.insert(policy_record_key(record.json));
        }
        if (record.key.empty() && !search_record_key(record.json).empty()) {
          done.insert(search_record_key(record.json));
        }
      }
    }

    cells = JsonlWriter::append_to(cells_path);
    if (cells->bytes_written() == 0) {
      const backend::GemmPeak peak = backend::measure_gemm_peak(*backend, config.threads);
      nlohmann::json context = to_json(capture_run_context(argc, argv));
      context["type"] = "context";
      context["world_size"] = ranks.world_size();
      context["shard"] = config.shard;
      context["backend"] = backend->describe();
      context["task"] = task->spec().to_string();
      context["puzzles_file"] = config.puzzles;
      context["puzzles"] = puzzles.size();
      context["seed"] = config.seed;
      context["budget_unit"] = config.budget_unit;
      context["sweep"] = config::to_json(config);
      context["plan_hash"] = plan_hash;
      context["peak"] = {{"flops_per_s", peak.flops_per_s},
                         {"engine_gemm_flops_per_s", peak.engine_flops_per_s},
                         {"source", peak.source}};
      context["models"] = nlohmann::json::array();
      std::set<std::string> warned;  // one warning per model of `models`, not per variant
      for (const LoadedModel& loaded : models) {
        nlohmann::json entry = {{"name", loaded.source.name},
                                {"path", loaded.source.path},
                                {"config", loaded.model.config.to_json()},
                                {"parameters", model::count_parameters(loaded.model.config)},
                                {"flops_per_application", loaded.flops.per_application},
                                {"flops_per_step", loaded.flops.per_step},
                                {"base", loaded.source.base},
                                {"sampler", engine::sampler_json(loaded.sampler)}};
        entry["sampler"]["kind"] = loaded.source.sampler.kind;
        entry["sampler"]["value"] = loaded.source.sampler.value;
        entry["verifier"] = nullptr;
        if (loaded.verifier) {
          entry["verifier"] = {{"path", loaded.source.verifier},
                               {"config", loaded.verifier->config.to_json()},
                               {"flops_per_step", model::verifier_flops(loaded.verifier->config)},
                               {"matches_model", loaded.verifier_warning.empty()}};
          if (!loaded.verifier_warning.empty() && warned.insert(loaded.source.base).second) {
            std::fprintf(stderr, "gram: warning: %s\n", loaded.verifier_warning.c_str());
          }
        }
        entry.update(training_json(loaded));
        context["models"].push_back(std::move(entry));
      }
      nlohmann::json runs = nlohmann::json::array();
      for (const PlannedRun& run : plan.runs) {
        runs.push_back({{"name", run.name}, {"width", run.width}, {"depth", run.depth}});
      }
      context["runs"] = runs;
      context["skipped"] = plan.skipped;
      cells->write(context);
    }

    // A sweep over the whole plan first takes in what shards of it (job array tasks) finished.
    if (shard.count == 1 && fs::exists(directory / "shards")) {
      const int merged =
          merge_shards(directory, plan_hash, plan, models, config, entropy_run, done, *cells);
      if (merged > 0) {
        std::fprintf(stderr, "sweep: merged %d records from %s\n", merged,
                     (directory / "shards").c_str());
      }
    }

    // ---- which runs still have work --------------------------------------------------------
    for (int run = 0; run < static_cast<int>(plan.runs.size()); ++run) {
      if (!in_shard[run]) continue;
      const PlannedRun& planned = plan.runs[run];
      bool needed = entropy_run.at({planned.model, planned.halting}) == run &&
                    !done.contains(entropy_key(planned.name));
      for (const Policy& policy :
           sweep_policies(config, models[planned.model].has_value_source())) {
        needed = needed || (policy.fits(planned.width) &&
                            !done.contains(policy_key(planned.name, policy.name)));
      }
      for (const PlannedCell& cell : plan.cells) {
        if (cell.run != run) continue;
        const bool on_file = done.contains(cell_key(models[cell.model].source.name, cell.halting,
                                                    cell.budget, cell.width, cell.depth));
        summary.cells_resumed += on_file ? 1 : 0;
        needed = needed || !on_file;
      }
      if (needed) pending_runs.push_back(run);
    }
    // Searches compare with the whole sweep's uniform cells, so they run in the sweep that holds
    // them all: an unsharded one (which merges the shards first).
    for (int search = 0; search < static_cast<int>(searches.size()); ++search) {
      if (done.contains(search_key(searches[search].name))) continue;
      if (shard.count == 1) {
        pending_searches.push_back(search);
      } else if (search == 0) {
        std::fprintf(stderr, "sweep: searches run in the sweep that merges the shards\n");
      }
    }
    if (summary.cells_resumed > 0) {
      std::fprintf(stderr, "sweep: resuming %s: %d of %d cells already on file, %zu runs to go\n",
                   directory.c_str(), summary.cells_resumed, summary.cells, pending_runs.size());
    }
  }
  if (ranks.world_size() > 1) {
    const nlohmann::json decision =
        nlohmann::json::parse(communicator.broadcast(nlohmann::json{
            {"pending", pending_runs}, {"searches", pending_searches},
            {"resumed", summary.cells_resumed}}.dump()));
    pending_runs = decision.at("pending").get<std::vector<int>>();
    pending_searches = decision.at("searches").get<std::vector<int>>();
    summary.cells_resumed = decision.at("resumed").get<int>();
  }

  // ---- execute ------------------------------------------------------------------------------
  // Progress is rank 0's own share of the work: the ranks advance at about the same rate.
  double total_work = 0.0;
  for (int run : pending_runs) {
    const auto share = static_cast<double>(
        (puzzles.size() * plan.runs[run].width + ranks.world_size() - 1) / ranks.world_size());
    total_work += share * plan.runs[run].depth;
  }
  const engine::PuzzleBlock searched_here =
      engine::search_share(puzzles.size(), ranks.rank(), ranks.world_size());
  for (int search : pending_searches) {
    const engine::SearchSettings& settings = searches[search].settings;
    total_work += static_cast<double>(searched_here.end - searched_here.begin) *
                  engine::rows_per_searched_puzzle(settings) * settings.depth;
  }
  // Every pending run is fitted to memory before the first starts (engine/memory_plan.h): its row
  // cap lowered where the rows would not fit, or one line with the figures now, not hours in.
  std::map<int, int> row_caps;
  for (int run : pending_runs) {
    const PlannedRun& planned = plan.runs[run];
    const std::uint64_t rows_needed =
        (static_cast<std::uint64_t>(puzzles.size()) * planned.width + ranks.world_size() - 1) /
        static_cast<std::uint64_t>(ranks.world_size());
    const int wanted = static_cast<int>(
        std::min<std::uint64_t>(config.row_cap, std::max<std::uint64_t>(rows_needed, 1)));
    try {
      const engine::RowPlan fitted = engine::plan_rows(
          engine::estimate_memory(models[planned.model].model.config, rows_needed, planned.depth),
          wanted, config.memory_limit, capacity);
      row_caps[run] = fitted.row_cap;
      if (fitted.row_cap < wanted && ranks.is_root()) {
        std::printf("run %s: row_cap %d lowered to %d to fit %s\n", planned.name.c_str(), wanted,
                    fitted.row_cap, engine::format_bytes(fitted.limit_bytes).c_str());
      }
    } catch (const Error& error) {
      throw Error("run " + planned.name + ": " + error.what());
    }
  }
  std::map<int, int> search_row_caps;
  for (int search : pending_searches) {
    const SearchRun& planned = searches[search];
    const int rows = engine::rows_per_searched_puzzle(planned.settings);
    // A rank searches at most ceil(P / W) whole puzzles.
    const std::uint64_t rows_needed =
        (puzzles.size() + ranks.world_size() - 1) / ranks.world_size() * rows;
    const int wanted = static_cast<int>(std::min<std::uint64_t>(
        std::max(config.row_cap, rows), rows_needed));
    try {
      const engine::RowPlan fitted = engine::plan_rows(
          engine::estimate_memory(models[planned.model].model.config, rows_needed,
                                  planned.settings.depth),
          wanted, config.memory_limit, capacity);
      // Whole puzzles per batch: the fitted cap rounded down to a multiple of the rows.
      if (fitted.row_cap < rows) {
        throw Error("one puzzle's " + std::to_string(rows) + " search rows do not fit " +
                    engine::format_bytes(fitted.limit_bytes));
      }
      search_row_caps[search] = fitted.row_cap / rows * rows;
    } catch (const Error& error) {
      throw Error("run " + planned.name + ": " + error.what());
    }
  }
  Progress progress(ranks.is_root() ? total_work : 0.0);
  int run_number = 0;
  stop_report.cells_on_file = summary.cells_resumed;
  for (int run : pending_runs) {
    const PlannedRun& planned = plan.runs[run];
    stop_report.run_under_way = planned.name;
    // A removed output directory is reported before a run's work rather than after it.
    if (cells) cells->check_in_place();
    const LoadedModel& loaded = models[planned.model];
    const auto items =
        engine::make_work(0, static_cast<std::uint32_t>(puzzles.size()), planned.width);
    engine::RecursiveModel recursive(loaded.model, *backend, row_caps.at(run), loaded.sampler);
    if (loaded.verifier) recursive.attach_verifier(*loaded.verifier);
    engine::RunSettings run_settings;
    run_settings.depth = planned.depth;
    run_settings.halting = planned.halting;
    run_settings.seed = config.seed;
    run_settings.record_steps = true;
    engine::Runner runner(recursive, *task, run_settings);

    progress.start_run("run " + std::to_string(++run_number) + "/" +
                       std::to_string(pending_runs.size()) + " " + planned.name);
    engine::rank_log("run " + planned.name + ": start");
    // Raw trajectories: a file left by an interrupted attempt at this run is replaced.
    std::optional<JsonlWriter> raw;
    if (ranks.is_root()) {
      raw.emplace((directory / "runs" / (planned.name + ".jsonl")).string(), true);
      raw->write({{"type", "run"}, {"name", planned.name}, {"model", loaded.source.name},
                  {"halting", planned.halting}, {"width", planned.width},
                  {"depth", planned.depth}, {"seed", config.seed}});
    }
    std::vector<engine::PuzzleOutcome> outcomes;
    engine::PuzzleCollector collector(0, static_cast<std::uint32_t>(puzzles.size()), planned.width);
    const auto start = std::chrono::steady_clock::now();
    const engine::ShareStats stats = ranks.run(
        runner, puzzles, items,
        [&](const engine::TrajectoryResult&) { progress.advance(planned.depth); },
        [&](engine::TrajectoryResult&& result) {
          collector.add(std::move(result), [&](engine::PuzzleOutcome&& outcome) {
            raw->write(raw_puzzle_record(puzzles[outcome.puzzle], outcome,
                                         truth.target_hashes[outcome.puzzle]));
            outcomes.push_back(std::move(outcome));
          });
        });
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    engine::rank_log("run " + planned.name + ": " + std::to_string(stats.items) + " items, " +
                     std::to_string(stats.seconds) + " s running, " + std::to_string(wall) +
                     " s with the gather" +
                     (ranks.is_root() && ranks.world_size() > 1
                          ? ", " + std::to_string(stats.bytes_gathered) + " bytes gathered"
                          : std::string()));
    ++summary.runs_executed;
    if (!ranks.is_root()) continue;
    raw->close();

    const CellCosts costs{loaded.flops.applications_per_step, loaded.flops.per_step};
    for (const PlannedCell& cell : plan.cells) {
      if (cell.run != run) continue;
      const std::string& model_name = loaded.source.name;
      if (done.contains(cell_key(model_name, cell.halting, cell.budget, cell.width, cell.depth))) {
        continue;
      }
      nlohmann::json record = {{"type", "cell"},          {"model", model_name},
                               {"halting", cell.halting}, {"strategies", cell.strategies},
                               {"budget", cell.budget},   {"width", cell.width},
                               {"depth", cell.depth},     {"derived", cell.derived},
                               {"source_run", planned.name}};
      const nlohmann::json figures =
          cell_figures(outcomes, truth, aggregators, {cell.width, cell.depth}, costs);
      record.update(figures);
      record["timing"] = cell.derived ? nlohmann::json(nullptr) : run_timing(outcomes, wall, figures);
      cells->write(record);
      ++stop_report.cells_on_file;
    }
    if (entropy_run.at({planned.model, planned.halting}) == run &&
        !done.contains(entropy_key(planned.name))) {
      cells->write({{"type", "entropy"}, {"model", loaded.source.name},
                    {"halting", planned.halting}, {"source_run", planned.name},
                    {"width", planned.width},
                    {"entropy_bits", entropy_by_depth(outcomes, planned.depth)}});
    }
    // Adaptive policies replayed on this run's trajectories at its depth (policy_cells.h).
    for (const Policy& policy : sweep_policies(config, loaded.has_value_source())) {
      if (!policy.fits(planned.width) || done.contains(policy_key(planned.name, policy.name))) {
        continue;
      }
      nlohmann::json record = {{"type", "policy"},
                               {"model", loaded.source.name},
                               {"halting", planned.halting},
                               {"policy", policy.name},
                               {"settings", policy.settings_json()},
                               {"width", planned.width},
                               {"depth", planned.depth},
                               {"source_run", planned.name}};
      record.update(policy_figures(outcomes, truth, aggregators, policy, planned.width,
                                   planned.depth, costs));
      cells->write(record);
    }
    // Durable before the next run starts: a lost node or a SIGKILL costs at most that run.
    cells->sync();
    stop_report.run_under_way.clear();
    progress.finish_run(wall);
  }
  if (!pending_searches.empty()) {
    run_searches(searches, pending_searches, search_row_caps, models, ranks, *backend, *task,
                 puzzles, truth, aggregators, config.seed, directory, plan_hash,
                 cells ? &*cells : nullptr, progress, stop_report);
    summary.runs_executed += static_cast<int>(pending_searches.size());
  }
  if (cells) cells->close();
  summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - sweep_start).count();
  return summary;
}

}  // namespace

SweepSummary run_sweep(const config::SweepConfig& config, int argc, char** argv,
                       dist::Communicator& communicator) {
  StopReport report;
  try {
    return run_sweep_until_done_or_stopped(config, argc, argv, communicator, report);
  } catch (const Stopped& stopped) {
    // Every rank stops together (engine::DistributedRun agrees on it); rank 0 alone owns the
    // files and says what they hold and how to go on.
    if (communicator.rank() != 0 || report.cells_path.empty()) throw;
    throw Stopped(stopped.signal(),
                  "sweep stopped by " + signal_name(stopped.signal()) + ": " +
                      std::to_string(report.cells_on_file) + " of " +
                      std::to_string(report.cells) + " cells on file in " + report.cells_path +
                      (report.run_under_way.empty()
                           ? std::string()
                           : ", run " + report.run_under_way + " will run again") +
                      "; rerun the same command to resume");
  }
}

}  // namespace gram::sweep
