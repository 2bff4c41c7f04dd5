#include "engine/puzzle_results.h"

#include <algorithm>

#include "analysis/metrics.h"
#include "util/error.h"
#include "util/hash.h"

namespace gram::engine {

PuzzleCollector::PuzzleCollector(std::uint32_t first_puzzle, std::uint32_t last_puzzle, int width)
    : next_(first_puzzle), last_(last_puzzle), width_(width) {}

void PuzzleCollector::add(TrajectoryResult&& result,
                          const std::function<void(PuzzleOutcome&&)>& on_complete) {
  GRAM_ASSERT(result.puzzle >= next_ && result.puzzle < last_, "trajectory of an unexpected puzzle");
  PuzzleOutcome& outcome = pending_[result.puzzle];
  outcome.puzzle = result.puzzle;
  outcome.trajectories.push_back(std::move(result));
  while (!pending_.empty() && pending_.begin()->first == next_ &&
         static_cast<int>(pending_.begin()->second.trajectories.size()) == width_) {
    PuzzleOutcome done = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    std::sort(done.trajectories.begin(), done.trajectories.end(),
              [](const auto& a, const auto& b) { return a.trajectory < b.trajectory; });
    ++next_;
    on_complete(std::move(done));
  }
}

bool is_correct(const tasks::Task& task, const tasks::Puzzle& puzzle,
                std::span<const std::int32_t> answer, bool valid) {
  if (task.unique_solution() && !puzzle.target.empty()) {
    return std::equal(answer.begin(), answer.end(), puzzle.target.begin(), puzzle.target.end());
  }
  return valid;
}

namespace {

// The value head ranking this puzzle's own trajectories: what best-of-n relies on.
void add_value_quality(const tasks::Task& task, const tasks::Puzzle& puzzle,
                       const PuzzleOutcome& outcome, RunTotals& totals) {
  if (!totals.value_head) return;
  std::vector<double> right, wrong;
  double low = outcome.trajectories.front().value, high = low;
  for (const TrajectoryResult& trajectory : outcome.trajectories) {
    const bool correct = is_correct(task, puzzle, trajectory.answer, trajectory.valid);
    (correct ? right : wrong).push_back(trajectory.value);
    low = std::min<double>(low, trajectory.value);
    high = std::max<double>(high, trajectory.value);
  }
  totals.value_spreads.push_back(high - low);
  if (!right.empty() && !wrong.empty()) {
    totals.value_auroc_sum += analysis::auroc(right, wrong);
    totals.value_auroc_puzzles += 1;
  }
}

}  // namespace

nlohmann::json puzzle_record(const tasks::Task& task, const tasks::Puzzle& puzzle,
                             const PuzzleOutcome& outcome, std::span<const Aggregator> aggregators,
                             const model::FlopCounts& flops, RunTotals& totals) {
  nlohmann::json trajectories = nlohmann::json::array();
  std::vector<Candidate> candidates;
  std::int64_t applications = 0;
  double started = outcome.trajectories.front().started_seconds;
  double first_answer = outcome.trajectories.front().finished_seconds;
  double decided = first_answer;
  for (const TrajectoryResult& trajectory : outcome.trajectories) {
    const bool correct = is_correct(task, puzzle, trajectory.answer, trajectory.valid);
    trajectories.push_back({{"trajectory", trajectory.trajectory},
                            {"answer", hash_to_hex(trajectory.answer_hash)},
                            {"valid", trajectory.valid},
                            {"correct", correct},
                            {"value", trajectory.value},
                            {"steps", trajectory.steps},
                            {"halted", trajectory.halted},
                            {"applications", trajectory.applications}});
    candidates.push_back({trajectory.answer_hash, trajectory.value, trajectory.valid});
    applications += trajectory.applications;
    started = std::min(started, trajectory.started_seconds);
    first_answer = std::min(first_answer, trajectory.finished_seconds);
    decided = std::max(decided, trajectory.finished_seconds);
    totals.correct_trajectories += correct ? 1 : 0;
  }

  nlohmann::json chosen = nlohmann::json::object();
  for (Aggregator aggregator : aggregators) {
    const Choice choice = aggregate(aggregator, candidates);
    const TrajectoryResult& representative = outcome.trajectories[choice.trajectory];
    const bool correct = is_correct(task, puzzle, representative.answer, representative.valid);
    const std::string name = aggregator_name(aggregator);
    chosen[name] = {{"answer", hash_to_hex(choice.answer_hash)},
                    {"board", task.render(representative.answer)},
                    {"votes", choice.votes},
                    {"valid", representative.valid},
                    {"correct", correct}};
    totals.correct_by_aggregator[name] += correct ? 1 : 0;
  }

  const std::int64_t steps = applications / std::max<std::int64_t>(1, flops.applications_per_step);
  add_value_quality(task, puzzle, outcome, totals);
  totals.steps += steps;
  totals.puzzles += 1;
  totals.trajectories += static_cast<std::int64_t>(outcome.trajectories.size());
  totals.applications += applications;
  return {{"type", "puzzle"},
          {"index", outcome.puzzle},
          {"id", puzzle.id},
          {"trajectories", std::move(trajectories)},
          {"aggregate", std::move(chosen)},
          {"applications", applications},
          {"flops", static_cast<double>(steps) * flops.per_step},
          {"time_to_first_answer_s", first_answer - started},
          {"time_to_decision_s", decided - started}};
}

records::SummaryRecord summary_of(const RunTotals& totals, double wall_seconds,
                                  const model::FlopCounts& flops) {
  records::SummaryRecord summary;
  summary.puzzles = totals.puzzles;
  summary.trajectories = totals.trajectories;
  for (const auto& [name, correct] : totals.correct_by_aggregator) {
    summary.accuracy[name] =
        totals.puzzles > 0 ? static_cast<double>(correct) / totals.puzzles : 0.0;
  }
  const double steps = static_cast<double>(totals.applications) /
                       static_cast<double>(std::max<std::int64_t>(1, flops.applications_per_step));
  const double total_flops = steps * flops.per_step;
  if (totals.value_head && totals.value_auroc_puzzles > 0) {
    summary.value_auroc_within =
        totals.value_auroc_sum / static_cast<double>(totals.value_auroc_puzzles);
  }
  if (totals.value_head && !totals.value_spreads.empty()) {
    summary.value_spread_median = analysis::percentile(totals.value_spreads, 50);
  }
  const double trajectories = static_cast<double>(totals.trajectories);
  summary.trajectory_accuracy =
      totals.trajectories > 0 ? static_cast<double>(totals.correct_trajectories) / trajectories
                              : 0.0;
  summary.steps_mean =
      totals.trajectories > 0 ? static_cast<double>(totals.steps) / trajectories : 0.0;
  summary.value_auroc_puzzles = totals.value_auroc_puzzles;
  summary.applications = totals.applications;
  summary.flops = total_flops;
  summary.wall_s = wall_seconds;
  if (wall_seconds > 0) {
    summary.puzzles_per_s = totals.puzzles / wall_seconds;
    summary.trajectories_per_s = totals.trajectories / wall_seconds;
    summary.applications_per_s = totals.applications / wall_seconds;
    summary.flops_per_s = total_flops / wall_seconds;
  }
  return summary;
}

nlohmann::json summary_record(const RunTotals& totals, double wall_seconds,
                              const model::FlopCounts& flops) {
  return records::to_json(summary_of(totals, wall_seconds, flops));
}

}  // namespace gram::engine
