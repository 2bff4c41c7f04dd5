#pragma once
// Splitting a sweep's runs into shares, one per task of a Slurm job array (`shard: I/N`).
//
// Runs are dealt by cost, largest first, each to the share with the least work so far
// (trajectory-steps x FLOPs per step; ties to the lower share and the earlier run), so the
// shares finish at about the same time. The deal depends only on the plan, so every task of an
// array computes the same split on its own.
#include <span>
#include <vector>

#include "config/sweep_config.h"
#include "sweep/sweep_plan.h"

namespace gram::sweep {

// in_shard[run]: whether plan.runs[run] belongs to `shard`. All true for 0/1.
std::vector<bool> runs_of_shard(const SweepPlan& plan, std::span<const PlanModel> models,
                                const config::SweepShard& shard);

}  // namespace gram::sweep
