#pragma once
// `gram sweep`: width vs depth (vs model size) at identical per-puzzle budgets.
//
// The plan (sweep_plan.h) turns budgets and strategies into cells and the runs that cover
// them. Each run executes once, keeps every step's answer, and yields its cells' records
// (cell_metrics.h) into OUTPUT/cells.jsonl as soon as it finishes; its raw trajectories go to
// OUTPUT/runs/<run>.jsonl. Rerunning with the same OUTPUT resumes: cells already on file are
// kept and only runs with missing cells execute again; a different config is refused unless
// `overwrite` asks to start over. docs/reports.md describes the records.
//
// Under mpirun or srun every rank plans the same sweep and runs its share of each run's
// (puzzle, trajectory) items (engine/distributed_run.h); rank 0 alone reads and writes the
// output directory, decides what a resume still has to run and tells the other ranks.
// With `shard: I/N` only a share of the runs executes, into OUTPUT/shards/I-of-N; a sweep
// without a shard on the same OUTPUT merges the shards' cells first (docs/distributed.md).
#include "config/sweep_config.h"
#include "distributed/communicator.h"

namespace gram::sweep {

struct SweepSummary {
  int cells = 0;
  int cells_resumed = 0;  // found on file from an earlier, interrupted sweep
  int runs_executed = 0;
  double wall_seconds = 0.0;
  std::string cells_path;
};

SweepSummary run_sweep(const config::SweepConfig& config, int argc, char** argv,
                       dist::Communicator& communicator);

}  // namespace gram::sweep
