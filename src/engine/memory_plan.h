#pragma once
// Will a run fit in memory? Answered before the run, from the model config alone.
//
// A run holds the backend's copy of the weights, `row_cap` row slots (state and workspace,
// RecursiveModel::bytes_per_row each) and, on the host, one work item and one result per
// trajectory until its puzzle is written. plan_rows lowers the row cap until that fits a limit:
// results are bitwise the same for every row cap (docs/cli.md), so a smaller cap only means
// more batches, never other answers. When even one row does not fit, it refuses with the
// figures, before anything is allocated or written.
#include <cstdint>
#include <string>

#include "model/model_config.h"

namespace gram::engine {

struct MemoryEstimate {
  std::uint64_t weight_bytes = 0;   // the backend's copy of the weights and fixed tables
  std::uint64_t row_bytes = 0;      // per row slot
  std::uint64_t result_bytes = 0;   // work items and results of every trajectory
};

// `trajectories` in the run; `recorded_steps` answers kept per trajectory (a sweep's runs keep
// every step's, a plain run none).
MemoryEstimate estimate_memory(const model::ModelConfig& config, std::uint64_t trajectories,
                               int recorded_steps);

// MemAvailable of /proc/meminfo in bytes (what can be allocated without swapping), or 0 when
// the machine does not say.
std::uint64_t available_memory_bytes();

struct RowPlan {
  int row_cap = 1;                 // rows to run with, <= the wanted cap
  std::uint64_t limit_bytes = 0;   // the limit it was fitted to
  std::uint64_t needed_bytes = 0;  // the estimate at that row cap
};

// The largest row cap <= `wanted_rows` whose estimate fits `limit_bytes` (0: the machine's
// available memory; no limit when the machine does not say). Throws one gram::Error line with
// the needed and available figures when one row does not fit.
RowPlan plan_rows(const MemoryEstimate& estimate, int wanted_rows, std::uint64_t limit_bytes);

// "1.50 GiB", "512 KiB", "12 bytes".
std::string format_bytes(std::uint64_t bytes);

}  // namespace gram::engine
