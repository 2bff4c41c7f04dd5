// The context record of a run's result file (cli/run_context_record.h).
#include "cli/run_context_record.h"

#include "records/context_record.h"

namespace gram::cli {

nlohmann::json run_context_record(int argc, char** argv, const config::RunConfig& run,
                                  const model::Model& model, const backend::Backend& backend,
                                  const tasks::Task& task, int world_size,
                                  const SamplingSetup& sampling) {
  const model::FlopCounts& flops = sampling.flops;
  records::ContextRecord context = records::context_record(argc, argv);
  context.type = "context";
  context.world_size = world_size;
  context.config = config::to_json(run);
  context.model = nlohmann::json{{"path", run.model},
                                 {"config", model.config.to_json()},
                                 {"parameters", model::count_parameters(model.config)},
                                 {"flops_per_application", flops.per_application},
                                 {"flops_per_step", flops.per_step}};
  context.backend = backend.describe();
  context.task = task.spec().to_string();
  context.sampling = sampling.to_json(run.verifier);
  return records::to_json(context);
}

}  // namespace gram::cli
