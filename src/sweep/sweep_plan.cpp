#include "sweep/sweep_plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <tuple>

#include "util/error.h"

namespace gram::sweep {
namespace {

std::string format_budget(double budget) {
  std::ostringstream text;
  text << budget;
  return text.str();
}

// The (N, S) pairs a strategy spends `steps` on. Grid widths are powers of two, the shape the
// prefix curves k = 1, 2, 4, ... take.
std::vector<std::pair<int, int>> strategy_cells(const std::string& strategy, int steps,
                                                int fixed_depth) {
  std::vector<std::pair<int, int>> cells;
  if (strategy == "width") {
    if (steps >= fixed_depth) cells.emplace_back(steps / fixed_depth, fixed_depth);
  } else if (strategy == "depth") {
    cells.emplace_back(1, steps);
  } else if (strategy == "grid") {
    for (int width = 1; width <= steps; width *= 2) cells.emplace_back(width, steps / width);
  } else {
    throw Error("unknown strategy '" + strategy + "'");
  }
  return cells;
}

void add_once(std::vector<std::string>& lines, const std::string& line) {
  if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
}

}  // namespace

std::string run_name(const std::string& model, bool halting, int width, int depth) {
  return model + (halting ? "-halt" : "-nohalt") + "-w" + std::to_string(width) + "-d" +
         std::to_string(depth);
}

int budget_steps(const PlanSettings& settings, const PlanModel& model, double budget) {
  if (!settings.budget_in_flops) return static_cast<int>(budget);
  GRAM_ASSERT(model.flops_per_step > 0.0, "a model costs no FLOPs per step");
  // The small epsilon keeps an exact multiple (budget = k * flops_per_step) from rounding down.
  return static_cast<int>(std::floor(budget / model.flops_per_step * (1.0 + 1e-12)));
}

SweepPlan plan_sweep(const PlanSettings& settings, std::span<const PlanModel> models) {
  SweepPlan plan;
  // (model, halting, budget, N, S) -> cell index, so a cell serving several strategies is one.
  std::map<std::tuple<int, bool, double, int, int>, std::size_t> cell_index;
  for (int model = 0; model < static_cast<int>(models.size()); ++model) {
    for (bool halting : settings.halting_modes) {
      for (double budget : settings.budgets) {
        const int steps = budget_steps(settings, models[model], budget);
        for (const std::string& strategy : settings.strategies) {
          const auto pairs = strategy_cells(strategy, steps, settings.fixed_depth);
          if (pairs.empty() || steps < 1) {
            add_once(plan.skipped, models[model].name + ": budget " + format_budget(budget) +
                                   " buys " + std::to_string(steps) + " steps, too few for " +
                                   strategy);
            continue;
          }
          for (const auto& [width, depth] : pairs) {
            const auto key = std::make_tuple(model, halting, budget, width, depth);
            auto [found, inserted] = cell_index.emplace(key, plan.cells.size());
            if (inserted) {
              PlannedCell cell;
              cell.model = model;
              cell.halting = halting;
              cell.budget = budget;
              cell.width = width;
              cell.depth = depth;
              plan.cells.push_back(cell);
            }
            auto& served = plan.cells[found->second].strategies;
            if (std::find(served.begin(), served.end(), strategy) == served.end()) {
              served.push_back(strategy);
            }
          }
        }
      }
    }
  }

  // Cover the cells of each (model, halting) by runs: largest cells first; a cell already
  // inside a run (N <= N_run and S <= S_run) is read from it, otherwise it becomes a run.
  std::vector<std::size_t> order(plan.cells.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const PlannedCell& x = plan.cells[a];
    const PlannedCell& y = plan.cells[b];
    return std::make_tuple(x.model, x.halting, -x.width * x.depth, -x.depth, -x.width) <
           std::make_tuple(y.model, y.halting, -y.width * y.depth, -y.depth, -y.width);
  });
  for (std::size_t index : order) {
    PlannedCell& cell = plan.cells[index];
    int best = -1;
    for (int run = 0; run < static_cast<int>(plan.runs.size()); ++run) {
      const PlannedRun& candidate = plan.runs[run];
      if (candidate.model != cell.model || candidate.halting != cell.halting) continue;
      const bool exact = candidate.width == cell.width && candidate.depth == cell.depth;
      const bool covers = candidate.width >= cell.width && candidate.depth >= cell.depth;
      if (exact || (settings.derive && covers)) {
        const long cost = static_cast<long>(candidate.width) * candidate.depth;
        if (best < 0 || cost < static_cast<long>(plan.runs[best].width) * plan.runs[best].depth) {
          best = run;
        }
      }
    }
    if (best < 0) {
      best = static_cast<int>(plan.runs.size());
      plan.runs.push_back({cell.model, cell.halting, cell.width, cell.depth,
                           run_name(models[cell.model].name, cell.halting, cell.width,
                                    cell.depth)});
    }
    cell.run = best;
    cell.derived = plan.runs[best].width != cell.width || plan.runs[best].depth != cell.depth;
  }
  return plan;
}

}  // namespace gram::sweep
