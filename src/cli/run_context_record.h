#pragma once
// The context record that opens a `gram run` result file: how the run was launched, its
// resolved config, the model with its size and FLOP figures, the backend and the task. Written
// once, so the uniform run and the search path echo the same fields. The model's FLOP figures
// count the attached verifier in place of the value head; `sampler` and `verifier` say what the
// run added to the model.
#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "cli/sampling_setup.h"
#include "config/run_config.h"
#include "model/weights.h"
#include "tasks/task.h"

namespace gram::cli {

nlohmann::json run_context_record(int argc, char** argv, const config::RunConfig& run,
                                  const model::Model& model, const backend::Backend& backend,
                                  const tasks::Task& task, int world_size,
                                  const SamplingSetup& sampling);

}  // namespace gram::cli
