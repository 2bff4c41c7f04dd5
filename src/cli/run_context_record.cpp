// The context record of a run's result file (cli/run_context_record.h).
#include "cli/run_context_record.h"

#include "util/run_context.h"

namespace gram::cli {

nlohmann::json run_context_record(int argc, char** argv, const config::RunConfig& run,
                                  const model::Model& model, const backend::Backend& backend,
                                  const tasks::Task& task, int world_size,
                                  const SamplingSetup& sampling) {
  const model::FlopCounts& flops = sampling.flops;
  nlohmann::json context = to_json(capture_run_context(argc, argv));
  context["type"] = "context";
  context["world_size"] = world_size;
  context["config"] = config::to_json(run);
  context["model"] = {{"path", run.model},
                      {"config", model.config.to_json()},
                      {"parameters", model::count_parameters(model.config)},
                      {"flops_per_application", flops.per_application},
                      {"flops_per_step", flops.per_step}};
  context["backend"] = backend.describe();
  context["task"] = task.spec().to_string();
  context.update(sampling.to_json(run.verifier));
  return context;
}

}  // namespace gram::cli
