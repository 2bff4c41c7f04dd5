#include "engine/memory_plan.h"

#include <algorithm>
#include <cstdio>

#include "engine/recursive_model.h"
#include "engine/runner.h"
#include "util/error.h"

namespace gram::engine {

MemoryEstimate estimate_memory(const model::ModelConfig& config, std::uint64_t trajectories,
                               int recorded_steps) {
  const std::uint64_t positions = static_cast<std::uint64_t>(config.positions());
  MemoryEstimate estimate;
  // Parameters, h0/l0 broadcast over positions, and the RoPE cos/sin tables.
  estimate.weight_bytes =
      (static_cast<std::uint64_t>(model::count_parameters(config)) +
       2 * positions * config.hidden_size + positions * config.head_dim()) *
      sizeof(float);
  estimate.row_bytes = RecursiveModel::bytes_per_row(config);
  // A work item in the list and in this rank's share, and a result with its answer (and its
  // recorded steps), kept until the puzzle is written.
  const std::uint64_t per_trajectory =
      2 * sizeof(WorkItem) + sizeof(TrajectoryResult) +
      static_cast<std::uint64_t>(config.seq_len) * sizeof(std::int32_t) +
      static_cast<std::uint64_t>(std::max(recorded_steps, 0)) * sizeof(StepAnswer);
  estimate.result_bytes = trajectories * per_trajectory;
  return estimate;
}

RowPlan plan_rows(const MemoryEstimate& estimate, int wanted_rows, std::uint64_t limit_bytes,
                  const backend::MemoryCapacity& capacity) {
  const bool configured = limit_bytes != 0;
  if (!configured) limit_bytes = capacity.available_bytes;
  const bool shared = capacity.holds_host_results;
  if (!shared && capacity.host_available_bytes != 0 &&
      estimate.result_bytes > capacity.host_available_bytes) {
    throw Error("memory: the run's results need " + format_bytes(estimate.result_bytes) +
                " of host memory but only " + format_bytes(capacity.host_available_bytes) +
                " is available; lower width or limit");
  }
  // Weights and rows live in the backend's memory; the results too where that is the host's.
  const std::uint64_t fixed = estimate.weight_bytes + (shared ? estimate.result_bytes : 0);
  RowPlan plan;
  plan.limit_bytes = limit_bytes;
  plan.limit_source = configured ? "memory_limit" : capacity.where;
  plan.row_cap = std::max(wanted_rows, 1);
  if (limit_bytes == 0) {  // the machine does not say: nothing to fit
    plan.needed_bytes = fixed + estimate.row_bytes * plan.row_cap;
    return plan;
  }
  const std::uint64_t one_row = fixed + estimate.row_bytes;
  if (one_row > limit_bytes) {
    const std::string in_memory = shared ? "" : " of " + capacity.where;
    const std::string results = shared ? ", results " + format_bytes(estimate.result_bytes) : "";
    const std::string available =
        configured ? "memory_limit is " + format_bytes(limit_bytes)
        : shared   ? "only " + format_bytes(limit_bytes) + " is available"
                   : "only " + format_bytes(limit_bytes) + " is free";
    throw Error("memory: the run needs " + format_bytes(one_row) + in_memory +
                " with a single row (weights " + format_bytes(estimate.weight_bytes) + results +
                ", " + format_bytes(estimate.row_bytes) + " per row) but " + available +
                "; lower width, limit or the model size, or raise memory_limit");
  }
  const std::uint64_t fitting = (limit_bytes - fixed) / std::max<std::uint64_t>(estimate.row_bytes, 1);
  plan.row_cap = static_cast<int>(std::min<std::uint64_t>(fitting, plan.row_cap));
  plan.needed_bytes = fixed + estimate.row_bytes * plan.row_cap;
  return plan;
}

std::string format_bytes(std::uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double value = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (value >= 1024.0 && unit < 5) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f %s", value, kUnits[unit]);
  return text;
}

}  // namespace gram::engine
