#pragma once
// The rows one rank of a `gram run` advances together (engine/rank_rows.h), fitted to the
// backend's memory before anything is allocated or written.
#include "backend/backend.h"
#include "config/run_config.h"
#include "engine/distributed_run.h"
#include "engine/rank_rows.h"
#include "model/model_config.h"

namespace gram::cli {

// The row cap lowered until weights + rows (+ results, on the CPU) fit the backend's memory
// (results do not depend on the row cap), with a line saying so; or one gram::Error line with
// the figures when a single row (or one puzzle's search rows) cannot fit.
int fit_row_cap(const config::RunConfig& run, const engine::WorkShape& shape,
                const model::ModelConfig& model, const engine::DistributedRun& ranks,
                const backend::Backend& backend);

}  // namespace gram::cli
