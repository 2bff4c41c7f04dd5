// The "adaptive" table: every adaptive policy a sweep replayed on its width runs
// (sweep/policy_cells.h) and every latent search it ran (sweep/search_cells.h), per aggregator,
// with the compute it spent and the paired comparison with uniform sampling at the nearest not
// smaller compute and at the widest uniform cell.
#include <algorithm>
#include <tuple>

#include "analysis/metrics.h"
#include "report/tables.h"

namespace gram::report {

void build_adaptive_table(const SweepResults& results, ReportTables& tables) {
  Table table{"adaptive", "Adaptive policies at matched compute", {
      {"model", "model name"},
      {"halting", "halting mode of the run"},
      {"kind", "policy (replayed on a width run) or search (a run of its own)"},
      {"policy", "beta, agreement, verifier, oracle (stopping rules), allocate; smc, beam"},
      {"settings", "the policy's thresholds and rounds"},
      {"source_run", "the width run the policy was replayed on, or the search's own run"},
      {"depth", "S of the run"},
      {"max_width", "N of the run: the most trajectories one puzzle may draw (search: rows)"},
      {"aggregator", "rule that picks the answer"},
      {"trajectories_mean", "trajectories (search: rows) per puzzle, mean"},
      {"trajectories_p50", "trajectories per puzzle, median"},
      {"trajectories_p90", "trajectories per puzzle, 90th percentile"},
      {"applications_per_puzzle", "applications executed per puzzle, mean"},
      {"flops_per_puzzle", "FLOPs per puzzle, mean"},
      {"saving", "1 - applications / the full-width (widest) uniform cell's"},
      {"puzzles", "puzzles"},
      {"correct", "puzzles solved"},
      {"accuracy", "correct / puzzles"},
      {"low", "Wilson 95% interval, low"},
      {"high", "Wilson 95% interval, high"},
      {"matched_width", "N of the uniform cell at the nearest not smaller compute"},
      {"matched_applications_per_puzzle", "its applications per puzzle"},
      {"matched_accuracy", "its accuracy"},
      {"matched_only_policy", "puzzles only the policy solved"},
      {"matched_only_uniform", "puzzles only the matched uniform cell solved"},
      {"matched_p_value", "McNemar exact p, policy vs matched uniform"},
      {"full_width", "N of the full-width uniform cell (search: the widest at its depth)"},
      {"full_accuracy", "its accuracy"},
      {"full_p_value", "McNemar exact p, policy vs full-width uniform"}}, {}};
  std::vector<const PolicyCell*> cells;
  for (const PolicyCell& cell : results.policies) cells.push_back(&cell);
  auto model_rank = [&](const std::string& name) {
    return std::find_if(results.models.begin(), results.models.end(),
                        [&](const ModelInfo& model) { return model.name == name; }) -
           results.models.begin();
  };
  std::stable_sort(cells.begin(), cells.end(), [&](const PolicyCell* a, const PolicyCell* b) {
    return std::make_tuple(model_rank(a->model), a->halting, a->depth, a->search, a->width) <
           std::make_tuple(model_rank(b->model), b->halting, b->depth, b->search, b->width);
  });
  for (const PolicyCell* cell : cells) {
    for (const std::string& aggregator : cell->aggregators) {
      const double puzzles = static_cast<double>(cell->puzzles);
      const std::int64_t correct = cell->correct.at(aggregator);
      const analysis::Interval interval = analysis::wilson_interval(correct, cell->puzzles);
      table.add({{"model", cell->model},
                 {"halting", cell->halting},
                 {"kind", cell->search ? "search" : "policy"},
                 {"policy", cell->policy},
                 {"settings", cell->settings.dump()},
                 {"source_run", cell->source_run},
                 {"depth", cell->depth},
                 {"max_width", cell->width},
                 {"aggregator", aggregator},
                 {"trajectories_mean", cell->trajectories_mean},
                 {"trajectories_p50", cell->trajectories_p50},
                 {"trajectories_p90", cell->trajectories_p90},
                 {"applications_per_puzzle", cell->applications_per_puzzle},
                 {"flops_per_puzzle", cell->flops_per_puzzle},
                 {"saving", cell->saving},
                 {"puzzles", cell->puzzles},
                 {"correct", correct},
                 {"accuracy", correct / puzzles},
                 {"low", interval.low},
                 {"high", interval.high},
                 {"matched_width", cell->matched.width},
                 {"matched_applications_per_puzzle", cell->matched.applications_per_puzzle},
                 {"matched_accuracy", cell->matched.correct.at(aggregator) / puzzles},
                 {"matched_only_policy", cell->matched.only_policy.at(aggregator)},
                 {"matched_only_uniform", cell->matched.only_uniform.at(aggregator)},
                 {"matched_p_value", cell->matched.p_value.at(aggregator)},
                 {"full_width", cell->full.width},
                 {"full_accuracy", cell->full.correct.at(aggregator) / puzzles},
                 {"full_p_value", cell->full.p_value.at(aggregator)}});
    }
  }
  tables.adaptive = std::move(table);
}

}  // namespace gram::report
