#pragma once
// From a sweep's budgets and strategies to the cells it reports and the runs that produce them.
//
// A cell is one way of spending one budget: N trajectories x S supervision steps per puzzle, for
// one model and halting mode. A run executes N trajectories to depth S and keeps every step's
// answer, so it also yields every cell with N' <= N and S' <= S: the first N' trajectories
// (prefixes; trajectory t's noise depends only on (seed, puzzle, t, step), never on N) read at
// step S' (or where they halted). A sweep therefore costs a cover of its cells by runs, not the
// sum of its cells; cells read from a larger run are marked derived.
#include <span>
#include <string>
#include <vector>

namespace gram::sweep {

struct PlanModel {
  std::string name;
  double flops_per_step = 0.0;  // per trajectory and supervision step
};

struct PlanSettings {
  bool budget_in_flops = false;  // else budgets are supervision steps per puzzle
  std::vector<double> budgets;
  std::vector<std::string> strategies;  // width, depth, grid
  int fixed_depth = 4;                  // S of the width strategy
  std::vector<bool> halting_modes;
  bool derive = true;
};

struct PlannedCell {
  int model = 0;
  bool halting = false;
  double budget = 0.0;   // as configured (steps or FLOPs per puzzle)
  int width = 1;         // N
  int depth = 1;         // S
  std::vector<std::string> strategies;  // every strategy this cell serves at this budget
  int run = -1;          // index into SweepPlan::runs
  bool derived = false;  // read from a larger run
};

struct PlannedRun {
  int model = 0;
  bool halting = false;
  int width = 1;
  int depth = 1;
  std::string name;  // "<model>-<halt|nohalt>-w<N>-d<S>": names its raw file
};

struct SweepPlan {
  std::vector<PlannedCell> cells;
  std::vector<PlannedRun> runs;
  std::vector<std::string> skipped;  // "model: budget B is below one step" and the like
};

// Steps per puzzle that `budget` buys for a model: the budget itself in steps, or
// floor(budget / flops_per_step) in FLOPs.
int budget_steps(const PlanSettings& settings, const PlanModel& model, double budget);

SweepPlan plan_sweep(const PlanSettings& settings, std::span<const PlanModel> models);

std::string run_name(const std::string& model, bool halting, int width, int depth);

}  // namespace gram::sweep
