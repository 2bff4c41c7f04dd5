#include "sweep/cell_metrics.h"

#include <set>
#include <string>

#include "analysis/metrics.h"
#include "util/error.h"

namespace gram::sweep {
namespace {

// The answer trajectory `result` gives when stopped after `depth` steps.
const engine::StepAnswer& answer_at(const engine::TrajectoryResult& result, int depth) {
  GRAM_ASSERT(!result.history.empty(), "a sweep run must record every step's answer");
  const std::size_t steps = std::min<std::size_t>(depth, result.history.size());
  return result.history[steps - 1];
}

bool is_correct(const engine::StepAnswer& answer, std::uint64_t target_hash) {
  // With a reference solution the answer must be it; otherwise any valid answer that keeps the
  // givens counts (science.md s4), which is what the task's verifier checks.
  return target_hash != 0 ? answer.answer_hash == target_hash : answer.valid;
}

}  // namespace

PuzzleTruth puzzle_truth(const tasks::Task& task, std::span<const tasks::Puzzle> puzzles) {
  PuzzleTruth truth;
  for (const tasks::Puzzle& puzzle : puzzles) {
    const bool has_target = task.unique_solution() && !puzzle.target.empty();
    truth.target_hashes.push_back(has_target ? task.answer_hash(puzzle.target) : 0);
    if (!task.unique_solution()) {
      // Capped: coverage is "distinct found / all", and no sweep finds more than its width.
      truth.solution_counts.push_back(task.count_solutions(puzzle, 1'000'000));
    }
  }
  return truth;
}

nlohmann::json cell_figures(std::span<const engine::PuzzleOutcome> outcomes,
                            const PuzzleTruth& truth, std::span<const engine::Aggregator> aggregators,
                            CellShape shape, CellCosts costs) {
  const std::vector<int> widths(outcomes.size(), shape.width);
  return cell_figures(outcomes, truth, aggregators, widths, shape.depth, costs);
}

std::vector<engine::Candidate> candidates_at(const engine::PuzzleOutcome& outcome, int width,
                                             int depth) {
  GRAM_ASSERT(static_cast<int>(outcome.trajectories.size()) >= width,
              "a cell is wider than the run it is read from");
  std::vector<engine::Candidate> candidates;  // (width)
  for (int t = 0; t < width; ++t) {
    const engine::StepAnswer& answer = answer_at(outcome.trajectories[t], depth);
    candidates.push_back({answer.answer_hash, answer.value, answer.valid});
  }
  return candidates;
}

nlohmann::json cell_figures(std::span<const engine::PuzzleOutcome> outcomes,
                            const PuzzleTruth& truth, std::span<const engine::Aggregator> aggregators,
                            std::span<const int> widths, int depth, CellCosts costs) {
  GRAM_ASSERT(widths.size() == outcomes.size(), "one width per puzzle");
  std::map<std::string, std::int64_t> correct;
  std::map<std::string, std::string> per_puzzle;
  double pass_at_1 = 0.0;
  double pass_at_k = 0.0;
  double coverage = 0.0;
  std::int64_t applications = 0;
  // Per puzzle: right trajectories of the run, and the run's trajectories, so that the report
  // can give pass@1 an interval clustered by puzzle (analysis/inference.h).
  std::vector<int> trajectories_correct, trajectories_run;
  // Per puzzle: coverage@width, and the most a model giving one answer per puzzle (every
  // trajectory alike, as a deterministic model's) can cover: 1 / its solution count.
  std::vector<double> coverage_per_puzzle;
  double one_answer_ceiling = 0.0;
  for (std::size_t index = 0; index < outcomes.size(); ++index) {
    const engine::PuzzleOutcome& outcome = outcomes[index];
    const CellShape shape{widths[index], depth};
    const auto& trajectories = outcome.trajectories;  // (N_run), by trajectory index
    GRAM_ASSERT(static_cast<int>(trajectories.size()) >= shape.width,
                "a cell is wider than the run it is read from");
    const std::uint64_t target = truth.target_hashes.at(outcome.puzzle);

    int correct_in_run = 0;
    std::vector<engine::Candidate> candidates;  // (N)
    std::vector<bool> candidate_correct;
    std::vector<std::uint64_t> valid_answers;
    for (std::size_t t = 0; t < trajectories.size(); ++t) {
      const engine::StepAnswer& answer = answer_at(trajectories[t], shape.depth);
      const bool right = is_correct(answer, target);
      correct_in_run += right ? 1 : 0;
      if (static_cast<int>(t) >= shape.width) continue;
      candidates.push_back({answer.answer_hash, answer.value, answer.valid});
      candidate_correct.push_back(right);
      if (answer.valid) valid_answers.push_back(answer.answer_hash);
      const std::size_t steps = std::min<std::size_t>(shape.depth, trajectories[t].history.size());
      applications += costs.applications_per_step * static_cast<std::int64_t>(steps);
    }
    for (engine::Aggregator aggregator : aggregators) {
      const engine::Choice choice = engine::aggregate(aggregator, candidates);
      const bool right = candidate_correct.at(choice.trajectory);
      const std::string name = engine::aggregator_name(aggregator);
      correct[name] += right ? 1 : 0;
      per_puzzle[name] += right ? '1' : '0';
    }
    const int n = static_cast<int>(trajectories.size());
    trajectories_correct.push_back(correct_in_run);
    trajectories_run.push_back(n);
    pass_at_1 += static_cast<double>(correct_in_run) / n;
    pass_at_k += analysis::pass_at_k(n, correct_in_run, shape.width);
    if (!truth.solution_counts.empty()) {
      const std::int64_t solutions = truth.solution_counts.at(outcome.puzzle);
      coverage_per_puzzle.push_back(analysis::coverage(valid_answers, solutions));
      coverage += coverage_per_puzzle.back();
      one_answer_ceiling += solutions > 0 ? 1.0 / static_cast<double>(solutions) : 0.0;
    }
  }

  const double puzzles = static_cast<double>(outcomes.size());
  GRAM_ASSERT(puzzles > 0, "a cell needs at least one puzzle");
  const double flops = static_cast<double>(applications) / costs.applications_per_step *
                       costs.flops_per_step;
  nlohmann::json figures = {{"puzzles", outcomes.size()},
                            {"correct", correct},
                            {"per_puzzle", per_puzzle},
                            {"pass_at_1", pass_at_1 / puzzles},
                            {"trajectories_correct", trajectories_correct},
                            {"trajectories_run", trajectories_run},
                            {"pass_at_k", pass_at_k / puzzles},
                            {"applications", applications},
                            {"flops", flops},
                            {"applications_per_puzzle", applications / puzzles},
                            {"flops_per_puzzle", flops / puzzles}};
  figures["coverage"] = truth.solution_counts.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(coverage / puzzles);
  if (!truth.solution_counts.empty()) {
    figures["coverage_per_puzzle"] = coverage_per_puzzle;
    figures["coverage_one_answer_ceiling"] = one_answer_ceiling / puzzles;
  }
  return figures;
}

std::vector<double> entropy_by_depth(std::span<const engine::PuzzleOutcome> outcomes, int depth) {
  std::vector<double> entropy(depth, 0.0);
  if (outcomes.empty()) return entropy;
  std::vector<std::uint64_t> answers;
  for (int step = 1; step <= depth; ++step) {
    for (const engine::PuzzleOutcome& outcome : outcomes) {
      answers.clear();
      for (const auto& trajectory : outcome.trajectories) {
        answers.push_back(answer_at(trajectory, step).answer_hash);
      }
      entropy[step - 1] += analysis::answer_entropy_bits(answers);
    }
    entropy[step - 1] /= static_cast<double>(outcomes.size());
  }
  return entropy;
}

}  // namespace gram::sweep
