#pragma once
// `gram run --search smc|beam`: the run command's path for latent search (engine/search_run.h),
// which replaces the independent trajectories with particles or beams that share a puzzle's rows.
#include <span>
#include <vector>

#include "cli/commands.h"
#include "cli/sampling_setup.h"
#include "config/run_config.h"
#include "engine/aggregate.h"
#include "model/weights.h"
#include "tasks/task.h"

namespace gram::cli {

// Runs the search the validated `run` names over `puzzles` and writes the same kind of result
// file as a uniform run (context, one record per puzzle, summary). Under mpirun or srun each rank
// searches a block of whole puzzles (engine/distributed_search.h) and rank 0 writes the file.
int run_search(const CommandContext& command, const config::RunConfig& run,
               const model::Model& model, const tasks::Task& task,
               const std::vector<tasks::Puzzle>& puzzles,
               std::span<const engine::Aggregator> aggregators, const SamplingSetup& sampling);

}  // namespace gram::cli
