#include "sweep/shard.h"

#include <algorithm>
#include <numeric>

namespace gram::sweep {

std::vector<bool> runs_of_shard(const SweepPlan& plan, std::span<const PlanModel> models,
                                const config::SweepShard& shard) {
  const int runs = static_cast<int>(plan.runs.size());
  auto cost = [&](int run) {
    const PlannedRun& planned = plan.runs[run];
    return static_cast<double>(planned.width) * planned.depth *
           std::max(1.0, models[planned.model].flops_per_step);
  };
  std::vector<int> order(runs);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return cost(a) > cost(b); });
  std::vector<double> load(shard.count, 0.0);
  std::vector<bool> mine(runs, false);
  for (int run : order) {
    const int lightest =
        static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    load[lightest] += cost(run);
    mine[run] = lightest == shard.index;
  }
  return mine;
}

}  // namespace gram::sweep
