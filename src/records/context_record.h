#pragma once
// The context record: the first record of every result file (`gram run`, `gram sweep`,
// `gram bench`) and the context block of a report. Its common part is util/run_context.h's
// RunContext, captured once at start-up by context_record(); each command then fills the parts
// it adds (its config, model, backend, task; a sweep's plan, peak and models) and writes
// to_json(). docs/cli.md and docs/reports.md list the fields.
//
// What stays JSON, and why: the resolved configs (`config`, `sweep`: config::to_json owns their
// schema), a model's and a verifier's `config` (model::ModelConfig::to_json), the sampler's
// settings (engine::sampler_json), bench's `rows` (throughput::to_json) and a run's
// `sampler`/`verifier` entries (cli::SamplingSetup::to_json): each is written by the layer that
// owns the type, which sits above this one.
//
// The reader, sweep_context_from_json, reads the sweep context the report needs, field by
// field; the fields that only describe the run (host, commit, ...) read leniently, so an old or
// hand-edited file still renders.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/run_context.h"

namespace gram::records {

// The GEMM peak a sweep or a bench measured (backend/gemm_peak.h).
struct PeakRecord {
  double flops_per_s = 0.0;
  double engine_gemm_flops_per_s = 0.0;
  std::string source;
};

// A sweep model's verifier: the file, its config and cost, and whether it matches the model.
struct ContextVerifier {
  std::string path;
  nlohmann::json config;  // model::VerifierConfig::to_json
  double flops_per_step = 0.0;
  bool matches_model = true;
};

// One entry of a sweep context's `models`.
struct ContextModel {
  std::string name;
  std::string path;
  std::int64_t parameters = 0;
  double flops_per_application = 0.0;
  double flops_per_step = 0.0;
  // Training FLOPs (the recursion counted) from the model file's training record or the sweep's
  // `training_flops`, when known; `training_source` says which ("config" or "model file").
  std::optional<double> training_flops;
  std::string training_source;
  // The sampler setting the sweep ran this model under (`samplers`): the model of `models` it
  // is a variant of, "none", "noise" or "dropout" and the scale or rate. Records written before
  // samplers existed read as base = name, kind none.
  std::string base;
  std::string sampler_kind = "none";
  double sampler_value = 0.0;
  std::string verifier;  // the attached verifier file, or ""
  // Written, not read back by the report:
  nlohmann::json config;            // model::ModelConfig::to_json
  nlohmann::json sampler_settings;  // engine::sampler_json
  std::optional<ContextVerifier> verifier_entry;
};

// One planned run of a sweep, as its context lists them.
struct ContextRun {
  std::string name;
  int width = 1;
  int depth = 1;
};

// What `gram sweep` adds.
struct SweepContextPart {
  std::string shard;
  std::string puzzles_file;
  std::size_t puzzles = 0;
  std::uint64_t seed = 0;
  std::string budget_unit;
  nlohmann::json sweep;  // config::to_json(SweepConfig)
  std::string plan_hash;
  std::vector<ContextModel> models;
  std::vector<ContextRun> runs;
  std::vector<std::string> skipped;
};

struct ContextRecord {
  RunContext common;                    // host, cores, commit, build, compiler, start, argv, env
  std::optional<std::string> type;      // "context", or "bench"; none in a report's own block
  std::optional<int> world_size;        // run, sweep
  std::optional<nlohmann::json> config;  // run, bench: the resolved config
  std::optional<std::string> backend;   // run, sweep, bench: Backend::describe()
  std::optional<std::string> task;      // run, sweep
  std::optional<nlohmann::json> model;  // run, bench: path, config, parameters, FLOPs
  std::optional<PeakRecord> peak;       // sweep, bench
  std::optional<SweepContextPart> sweep;
  std::optional<nlohmann::json> sampling;  // run: `sampler` and `verifier`, at the top level
  std::optional<nlohmann::json> rows;      // bench: one entry per width and depth
};

// The one builder: the common part, captured now (util/run_context.h); the rest is left empty.
ContextRecord context_record(int argc, char** argv);

nlohmann::json to_json(const PeakRecord& peak);
nlohmann::json to_json(const ContextModel& model);
nlohmann::json to_json(const ContextRecord& context);

// A sweep's context record as the report reads it; `where` is "<file>:<line>".
struct SweepContext {
  std::string host, commit, build_type, compiler, start_time, command_line, backend;
  std::int64_t cores = 0;
  std::string task;
  std::string puzzles_file;
  std::int64_t puzzles = 0;
  std::int64_t seed = 0;
  std::string budget_unit;  // "steps" or "flops"
  std::optional<double> peak_flops_per_s;
  std::string peak_source;
  std::vector<ContextModel> models;
};
SweepContext sweep_context_from_json(const nlohmann::json& record, const std::string& where);

// The name of the model a cell, entropy, policy or search record names, which must be one of
// its context's models; `fields` is that record's.
class Fields;
std::string model_name_from(const Fields& fields, const std::vector<ContextModel>& models);

}  // namespace gram::records
