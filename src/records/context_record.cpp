// The context record (records/context_record.h).
#include "records/context_record.h"

#include <algorithm>
#include <set>

#include "records/record_fields.h"
#include "util/error.h"

namespace gram::records {

using nlohmann::json;

namespace {

constexpr const char* kPeak = "peak";
constexpr const char* kModels = "models";
constexpr const char* kSampler = "sampler";
constexpr const char* kVerifier = "verifier";
constexpr const char* kTrainingFlops = "training_flops";
constexpr const char* kTrainingSource = "training_source";

ContextModel context_model_from_json(const json& record, const std::string& where) {
  if (!record.is_object()) throw Error(where + ": each entry of 'models' must be an object");
  const Fields fields(record, where);
  ContextModel model;
  model.name = fields.string(field::kName);
  model.path = fields.has("path") ? fields.string("path") : "";
  model.parameters = fields.integer("parameters", 1);
  model.flops_per_application = fields.non_negative("flops_per_application");
  model.flops_per_step = fields.non_negative("flops_per_step");
  model.training_flops = fields.optional_number(kTrainingFlops);
  if (model.training_flops && !(*model.training_flops > 0)) {
    fields.fail("field 'training_flops' must be > 0");
  }
  model.training_source = fields.has(kTrainingSource) && record[kTrainingSource].is_string()
                              ? record[kTrainingSource].get<std::string>()
                              : "";
  model.base = fields.has("base") ? fields.string("base") : model.name;
  if (fields.has(kSampler)) {
    const Fields sampler(fields.object(kSampler), where + ": sampler");
    model.sampler_kind = sampler.has("kind") ? sampler.string("kind") : "none";
    if (model.sampler_kind != "none" && model.sampler_kind != "noise" &&
        model.sampler_kind != "dropout") {
      sampler.fail("field 'kind' must be none, noise or dropout");
    }
    model.sampler_value = sampler.has("value") ? sampler.non_negative("value") : 0.0;
  }
  if (fields.has(kVerifier)) {
    const Fields verifier(fields.object(kVerifier), where + ": verifier");
    model.verifier = verifier.has("path") ? verifier.string("path") : "";
  }
  return model;
}

void add_sweep_part(const SweepContextPart& sweep, json& record) {
  record["shard"] = sweep.shard;
  record["puzzles_file"] = sweep.puzzles_file;
  record[field::kPuzzles] = sweep.puzzles;
  record[field::kSeed] = sweep.seed;
  record["budget_unit"] = sweep.budget_unit;
  record["sweep"] = sweep.sweep;
  record["plan_hash"] = sweep.plan_hash;
  record[kModels] = json::array();
  for (const ContextModel& model : sweep.models) record[kModels].push_back(to_json(model));
  record["runs"] = json::array();
  for (const ContextRun& run : sweep.runs) {
    record["runs"].push_back(
        {{field::kName, run.name}, {field::kWidth, run.width}, {field::kDepth, run.depth}});
  }
  record["skipped"] = sweep.skipped;
}

}  // namespace

ContextRecord context_record(int argc, char** argv) {
  ContextRecord context;
  context.common = capture_run_context(argc, argv);
  return context;
}

json to_json(const PeakRecord& peak) {
  return {{"flops_per_s", peak.flops_per_s},
          {"engine_gemm_flops_per_s", peak.engine_gemm_flops_per_s},
          {"source", peak.source}};
}

json to_json(const ContextModel& model) {
  json entry = {{field::kName, model.name},
                {"path", model.path},
                {"config", model.config},
                {"parameters", model.parameters},
                {"flops_per_application", model.flops_per_application},
                {"flops_per_step", model.flops_per_step},
                {"base", model.base},
                {kSampler, model.sampler_settings},
                {kVerifier, nullptr},
                {kTrainingFlops, nullptr},
                {kTrainingSource, nullptr}};
  entry[kSampler]["kind"] = model.sampler_kind;
  entry[kSampler]["value"] = model.sampler_value;
  if (model.verifier_entry) {
    const ContextVerifier& verifier = *model.verifier_entry;
    entry[kVerifier] = {{"path", verifier.path},
                        {"config", verifier.config},
                        {"flops_per_step", verifier.flops_per_step},
                        {"matches_model", verifier.matches_model}};
  }
  if (model.training_flops) {
    entry[kTrainingFlops] = *model.training_flops;
    entry[kTrainingSource] = model.training_source;
  }
  return entry;
}

json to_json(const ContextRecord& context) {
  json record = to_json(context.common);
  if (context.type) record[field::kType] = *context.type;
  if (context.world_size) record["world_size"] = *context.world_size;
  if (context.config) record["config"] = *context.config;
  if (context.backend) record["backend"] = *context.backend;
  if (context.task) record["task"] = *context.task;
  if (context.model) record[field::kModel] = *context.model;
  if (context.peak) record[kPeak] = to_json(*context.peak);
  if (context.sweep) add_sweep_part(*context.sweep, record);
  if (context.sampling) record.update(*context.sampling);
  if (context.rows) record["rows"] = *context.rows;
  return record;
}

SweepContext sweep_context_from_json(const json& record, const std::string& where) {
  const Fields fields(record, where + ": context");
  SweepContext context;
  context.host = fields.text_or_unknown("host");
  context.commit = fields.text_or_unknown("commit");
  context.build_type = fields.text_or_unknown("build_type");
  context.compiler = fields.text_or_unknown("compiler");
  context.start_time = fields.text_or_unknown("start_time");
  context.command_line = fields.text_or_unknown("command_line");
  context.backend = fields.text_or_unknown("backend");
  context.cores = fields.has("cores") ? fields.integer("cores", 0) : 0;
  context.task = fields.string("task");
  context.puzzles_file = fields.has("puzzles_file") ? fields.string("puzzles_file") : "?";
  context.puzzles = fields.integer(field::kPuzzles, 1);
  context.seed = fields.has(field::kSeed) ? fields.integer(field::kSeed, 0) : 0;
  context.budget_unit = fields.string("budget_unit");
  if (context.budget_unit != "steps" && context.budget_unit != "flops") {
    fields.fail("budget_unit must be \"steps\" or \"flops\", got \"" + context.budget_unit + "\"");
  }
  if (fields.has(kPeak)) {
    const Fields peak(fields.object(kPeak), where + ": context.peak");
    context.peak_flops_per_s = peak.number("flops_per_s");
    context.peak_source = peak.has("source") ? peak.string("source") : "?";
  }
  const json& models = fields.require(kModels);
  if (!models.is_array() || models.empty()) fields.fail("field 'models' must be a non-empty array");
  std::set<std::string> names;
  for (std::size_t i = 0; i < models.size(); ++i) {
    ContextModel model =
        context_model_from_json(models[i], where + ": context.models[" + std::to_string(i) + "]");
    if (!names.insert(model.name).second) fields.fail("model '" + model.name + "' listed twice");
    context.models.push_back(std::move(model));
  }
  return context;
}

std::string model_name_from(const Fields& fields, const std::vector<ContextModel>& models) {
  const std::string name = fields.string(field::kModel);
  if (std::none_of(models.begin(), models.end(),
                   [&](const ContextModel& model) { return model.name == name; })) {
    fields.fail("model '" + name + "' is not in the context record's models");
  }
  return name;
}

}  // namespace gram::records
