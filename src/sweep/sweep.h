#pragma once
// `gram sweep`: width vs depth (vs model size) at identical per-puzzle budgets.
//
// The plan (sweep_plan.h) turns budgets and strategies into cells and the runs that cover
// them. Each run executes once, keeps every step's answer, and yields its cells' records
// (cell_metrics.h) into OUTPUT/cells.jsonl as soon as it finishes; its raw trajectories go to
// OUTPUT/runs/<run>.jsonl. Rerunning with the same OUTPUT resumes: cells already on file are
// kept and only runs with missing cells execute again; a different config is refused unless
// `overwrite` asks to start over. docs/reports.md describes the records.
#include "config/sweep_config.h"

namespace gram::sweep {

struct SweepSummary {
  int cells = 0;
  int cells_resumed = 0;  // found on file from an earlier, interrupted sweep
  int runs_executed = 0;
  double wall_seconds = 0.0;
  std::string cells_path;
};

SweepSummary run_sweep(const config::SweepConfig& config, int argc, char** argv);

}  // namespace gram::sweep
