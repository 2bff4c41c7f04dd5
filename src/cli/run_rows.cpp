// The rows of a `gram run` (cli/run_rows.h).
#include "cli/run_rows.h"

#include <cstdio>

#include "engine/memory_plan.h"

namespace gram::cli {

int fit_row_cap(const config::RunConfig& run, const engine::WorkShape& shape,
                const model::ModelConfig& model, const engine::DistributedRun& ranks,
                const backend::Backend& backend) {
  const engine::RankRows rows =
      engine::plan_rank_rows(model, shape, run.row_cap, run.memory_limit,
                             backend.memory_capacity(), ranks.rank(), ranks.world_size());
  if (rows.lowered() && ranks.is_root()) {
    std::printf("row_cap %d lowered to %d to fit %s of %s (%s needed)\n", rows.wanted,
                rows.row_cap, engine::format_bytes(rows.memory.limit_bytes).c_str(),
                rows.memory.limit_source.c_str(),
                engine::format_bytes(rows.memory.needed_bytes).c_str());
  }
  return rows.row_cap;
}

}  // namespace gram::cli
