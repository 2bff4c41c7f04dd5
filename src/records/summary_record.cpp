// The run summary record (records/summary_record.h).
#include "records/summary_record.h"

#include "records/record_fields.h"

namespace gram::records {

namespace {

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const SummaryRecord& summary) {
  nlohmann::json record = {{field::kType, "summary"},
                           {field::kPuzzles, summary.puzzles},
                           {"trajectories", summary.trajectories},
                           {"accuracy", nlohmann::json::object()},
                           {"trajectory_accuracy", summary.trajectory_accuracy},
                           {"steps_mean", summary.steps_mean},
                           {"value_auroc_within", optional_number(summary.value_auroc_within)},
                           {"value_auroc_puzzles", summary.value_auroc_puzzles},
                           {"value_spread_median", optional_number(summary.value_spread_median)},
                           {"applications", summary.applications},
                           {"flops", summary.flops},
                           {"wall_s", summary.wall_s},
                           {"puzzles_per_s", summary.puzzles_per_s},
                           {"trajectories_per_s", summary.trajectories_per_s},
                           {"applications_per_s", summary.applications_per_s},
                           {"flops_per_s", summary.flops_per_s}};
  for (const auto& [name, accuracy] : summary.accuracy) record["accuracy"][name] = accuracy;
  if (summary.search) {
    const SearchSummary& search = *summary.search;
    record[field::kSearch] = {{"kind", search.kind},
                              {"rows_per_puzzle", search.rows_per_puzzle},
                              {"state_copies", search.state_copies},
                              {"uniform_width", search.uniform_width},
                              {"uniform_applications", search.uniform_applications}};
  }
  return record;
}

}  // namespace gram::records
