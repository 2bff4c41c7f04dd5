// The sweep's output directory (sweep_output.h).
#include "sweep/sweep_output.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "backend/gemm_peak.h"
#include "engine/sampler.h"
#include "model/training_record.h"
#include "model/verifier.h"
#include "records/context_record.h"
#include "sweep/policy_cells.h"
#include "sweep/search_cells.h"
#include "sweep/sweep_records.h"
#include "util/hash.h"

namespace gram::sweep {
namespace {

// The keys of every record of this plan already in `cells_path` (a resumed sweep skips them).
std::set<std::string> finished_keys(const std::string& cells_path, const std::string& plan_hash) {
  std::set<std::string> done;
  for (const SweepRecord& record : read_sweep_records(cells_path, plan_hash)) {
    if (!record.key.empty()) done.insert(record.key);
    if (record.key.empty() && !policy_record_key(record.json).empty()) {
      done.insert(policy_record_key(record.json));
    }
    if (record.key.empty() && !search_record_key(record.json).empty()) {
      done.insert(search_record_key(record.json));
    }
  }
  return done;
}

// The model's training FLOPs and where they come from: the config's `training_flops` if it
// names the model, else the file's training record, else unknown.
void add_training(const LoadedModel& loaded, records::ContextModel& entry) {
  const model::TrainingRecord record = model::training_record(loaded.model, loaded.source.path);
  if (loaded.source.training_flops) {
    entry.training_flops = *loaded.source.training_flops;
    entry.training_source = "config";
  } else if (record.flops) {
    entry.training_flops = *record.flops;
    entry.training_source = "model file";
  }
}

// The context record's entry for each model (its verifier's warning printed once per model of
// `models`, not per sampler variant).
std::vector<records::ContextModel> context_models(std::span<const LoadedModel> models) {
  std::vector<records::ContextModel> entries;
  std::set<std::string> warned;
  for (const LoadedModel& loaded : models) {
    records::ContextModel entry;
    entry.name = loaded.source.name;
    entry.path = loaded.source.path;
    entry.config = loaded.model.config.to_json();
    entry.parameters = model::count_parameters(loaded.model.config);
    entry.flops_per_application = loaded.flops.per_application;
    entry.flops_per_step = loaded.flops.per_step;
    entry.base = loaded.source.base;
    entry.sampler_settings = engine::sampler_json(loaded.sampler);
    entry.sampler_kind = loaded.source.sampler.kind;
    entry.sampler_value = loaded.source.sampler.value;
    if (loaded.verifier) {
      entry.verifier_entry = records::ContextVerifier{
          loaded.source.verifier, loaded.verifier->config.to_json(),
          model::verifier_flops(loaded.verifier->config), loaded.verifier_warning.empty()};
      if (!loaded.verifier_warning.empty() && warned.insert(loaded.source.base).second) {
        std::fprintf(stderr, "gram: warning: %s\n", loaded.verifier_warning.c_str());
      }
    }
    add_training(loaded, entry);
    entries.push_back(std::move(entry));
  }
  return entries;
}

// The first record of a new cells.jsonl: how, where and on what the sweep ran.
nlohmann::json context_record(const config::SweepConfig& config, const SweepInputs& inputs,
                              const SweepWork& work, const SweepOutput& output,
                              backend::Backend& backend, const engine::DistributedRun& ranks,
                              int argc, char** argv) {
  const backend::GemmPeak peak = backend::measure_gemm_peak(backend, config.threads);
  records::ContextRecord context = records::context_record(argc, argv);
  context.type = "context";
  context.world_size = ranks.world_size();
  context.backend = backend.describe();
  context.task = inputs.task->spec().to_string();
  context.peak = records::PeakRecord{peak.flops_per_s, peak.engine_flops_per_s, peak.source};
  records::SweepContextPart& part = context.sweep.emplace();
  part.shard = config.shard;
  part.puzzles_file = config.puzzles;
  part.puzzles = inputs.puzzles.size();
  part.seed = config.seed;
  part.budget_unit = config.budget_unit;
  part.sweep = config::to_json(config);
  part.plan_hash = output.plan_hash;
  part.models = context_models(inputs.models);
  for (const PlannedRun& run : work.plan.runs) part.runs.push_back({run.name, run.width, run.depth});
  part.skipped = work.plan.skipped;
  return records::to_json(context);
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

// Whether planned run `run` has a record left to write: a cell, its entropy curve, a policy.
bool run_needed(const config::SweepConfig& config, const SweepInputs& inputs,
                const SweepWork& work, const SweepOutput& output, int run, int& cells_resumed) {
  const PlannedRun& planned = work.plan.runs[run];
  bool needed = work.entropy_run.at({planned.model, planned.halting}) == run &&
                !output.done.contains(entropy_key(planned.name));
  for (const Policy& policy :
       sweep_policies(config, inputs.models[planned.model].has_value_source())) {
    needed = needed || (policy.fits(planned.width) &&
                        !output.done.contains(policy_key(planned.name, policy.name)));
  }
  for (const PlannedCell& cell : work.plan.cells) {
    if (cell.run != run) continue;
    const bool on_file = output.done.contains(cell_key(inputs.models[cell.model].source.name,
                                                       cell.halting, cell.budget, cell.width,
                                                       cell.depth));
    cells_resumed += on_file ? 1 : 0;
    needed = needed || !on_file;
  }
  return needed;
}

}  // namespace

SweepOutput output_location(const config::SweepConfig& config, const SweepWork& work) {
  namespace fs = std::filesystem;
  SweepOutput output;
  output.shard = config::parse_shard(config.shard);
  const fs::path root_directory(config.output);
  output.directory = output.shard.count == 1
                         ? root_directory
                         : root_directory / "shards" /
                               (std::to_string(output.shard.index) + "-of-" +
                                std::to_string(output.shard.count));
  output.cells_path = (output.directory / "cells.jsonl").string();
  output.plan_hash =
      hash_to_hex(fnv1a64(config::result_defining_json(config).dump() + "|" + config.puzzles));
  output.in_shard = runs_of_shard(work.plan, work.plan_models, output.shard);
  return output;
}

void open_output(const config::SweepConfig& config, const SweepInputs& inputs,
                 const SweepWork& work, SweepOutput& output, backend::Backend& backend,
                 const engine::DistributedRun& ranks, int argc, char** argv) {
  namespace fs = std::filesystem;
  for (const std::string& line : work.plan.skipped) {
    std::fprintf(stderr, "sweep: skipped: %s\n", line.c_str());
  }
  if (config.overwrite) {
    fs::remove(output.cells_path);
    fs::remove_all(output.directory / "runs");
    if (output.shard.count == 1) fs::remove_all(output.directory / "shards");
  } else if (fs::exists(output.cells_path)) {
    output.done = finished_keys(output.cells_path, output.plan_hash);
  }
  output.cells = JsonlWriter::append_to(output.cells_path);
  if (output.cells->bytes_written() == 0) {
    output.cells->write(context_record(config, inputs, work, output, backend, ranks, argc, argv));
  }
  // A sweep over the whole plan first takes in what shards of it (job array tasks) finished.
  if (output.shard.count == 1 && fs::exists(output.directory / "shards")) {
    const int merged = merge_shards(output.directory, output.plan_hash, work.plan, inputs.models,
                                    config, work.entropy_run, output.done, *output.cells);
    if (merged > 0) {
      std::fprintf(stderr, "sweep: merged %d records from %s\n", merged,
                   (output.directory / "shards").c_str());
    }
  }
}

PendingWork pending_work(const config::SweepConfig& config, const SweepInputs& inputs,
                         const SweepWork& work, const SweepOutput& output, int cells) {
  PendingWork pending;
  for (int run = 0; run < static_cast<int>(work.plan.runs.size()); ++run) {
    if (!output.in_shard[run]) continue;
    if (run_needed(config, inputs, work, output, run, pending.cells_resumed)) {
      pending.runs.push_back(run);
    }
  }
  // Searches compare with the whole sweep's uniform cells, so they run in the sweep that holds
  // them all: an unsharded one (which merges the shards first).
  for (int search = 0; search < static_cast<int>(work.searches.size()); ++search) {
    if (output.done.contains(search_key(work.searches[search].name))) continue;
    if (output.shard.count == 1) {
      pending.searches.push_back(search);
    } else if (search == 0) {
      std::fprintf(stderr, "sweep: searches run in the sweep that merges the shards\n");
    }
  }
  if (pending.cells_resumed > 0) {
    std::fprintf(stderr, "sweep: resuming %s: %d of %d cells already on file, %zu runs to go\n",
                 output.directory.c_str(), pending.cells_resumed, cells, pending.runs.size());
  }
  return pending;
}

void share_pending(PendingWork& pending, const engine::DistributedRun& ranks,
                   dist::Communicator& communicator) {
  if (ranks.world_size() <= 1) return;
  const nlohmann::json decision = nlohmann::json::parse(communicator.broadcast(
      nlohmann::json{{"pending", pending.runs}, {"searches", pending.searches},
                     {"resumed", pending.cells_resumed}}.dump()));
  pending.runs = decision.at("pending").get<std::vector<int>>();
  pending.searches = decision.at("searches").get<std::vector<int>>();
  pending.cells_resumed = decision.at("resumed").get<int>();
}

}  // namespace gram::sweep
