#pragma once
// Will a run fit in memory? Answered before the run, from the model config and the backend's
// capacity.
//
// A run holds the backend's copy of the weights, `row_cap` row slots (state and workspace,
// RecursiveModel::bytes_per_row each) and, on the host, one work item and one result per
// trajectory until its puzzle is written. plan_rows lowers the row cap until that fits a limit:
// results are bitwise the same for every row cap (docs/cli.md), so a smaller cap only means
// more batches, never other answers. When even one row does not fit, it refuses with the
// figures, before anything is allocated or written.
//
// The limit is `memory_limit` when set, otherwise the backend's capacity
// (Backend::memory_capacity): available host memory on the CPU, where weights, rows and results
// share it; the device's free memory on CUDA, where only weights and rows live (the results,
// on the host, are checked against host memory on their own).
#include <cstdint>
#include <string>

#include "backend/backend.h"
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

struct RowPlan {
  int row_cap = 1;                 // rows to run with, <= the wanted cap
  std::uint64_t limit_bytes = 0;   // the limit it was fitted to
  std::uint64_t needed_bytes = 0;  // the estimate at that row cap, in that memory
  std::string limit_source;        // "memory_limit" or the capacity's `where`
};

// The largest row cap <= `wanted_rows` whose estimate fits `limit_bytes` (0: the capacity's
// available bytes; no limit when it does not say). Throws one gram::Error line with the needed
// and available figures when one row does not fit, or when the results do not fit the host.
RowPlan plan_rows(const MemoryEstimate& estimate, int wanted_rows, std::uint64_t limit_bytes,
                  const backend::MemoryCapacity& capacity);

// "1.50 GiB", "512 KiB", "12 bytes".
std::string format_bytes(std::uint64_t bytes);

}  // namespace gram::engine
