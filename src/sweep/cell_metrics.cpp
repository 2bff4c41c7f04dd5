#include "sweep/cell_metrics.h"

#include <optional>
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

// One puzzle of a cell: the first `shape.width` trajectories read after `shape.depth` steps,
// and how many of the run's trajectories are right there.
struct PuzzleReading {
  std::vector<engine::Candidate> candidates;  // (N)
  std::vector<bool> correct;                  // (N)
  std::vector<std::uint64_t> valid_answers;
  int correct_in_run = 0;
  std::int64_t applications = 0;
};

PuzzleReading read_puzzle(const engine::PuzzleOutcome& outcome, CellShape shape,
                          std::uint64_t target, CellCosts costs) {
  const auto& trajectories = outcome.trajectories;  // (N_run), by trajectory index
  GRAM_ASSERT(static_cast<int>(trajectories.size()) >= shape.width,
              "a cell is wider than the run it is read from");
  PuzzleReading reading;
  for (std::size_t t = 0; t < trajectories.size(); ++t) {
    const engine::StepAnswer& answer = answer_at(trajectories[t], shape.depth);
    const bool right = is_correct(answer, target);
    reading.correct_in_run += right ? 1 : 0;
    if (static_cast<int>(t) >= shape.width) continue;
    reading.candidates.push_back({answer.answer_hash, answer.value, answer.valid});
    reading.correct.push_back(right);
    if (answer.valid) reading.valid_answers.push_back(answer.answer_hash);
    const std::size_t steps = std::min<std::size_t>(shape.depth, trajectories[t].history.size());
    reading.applications += costs.applications_per_step * static_cast<std::int64_t>(steps);
  }
  return reading;
}

// The cell's sums over its puzzles, in puzzle order.
struct CellTally {
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

  // `solutions`: the puzzle's solution count, where the task counts them.
  void add(const PuzzleReading& reading, int run_size, int width,
           std::span<const engine::Aggregator> aggregators, std::optional<std::int64_t> solutions) {
    applications += reading.applications;
    for (engine::Aggregator aggregator : aggregators) {
      const engine::Choice choice = engine::aggregate(aggregator, reading.candidates);
      const bool right = reading.correct.at(choice.trajectory);
      const std::string name = engine::aggregator_name(aggregator);
      correct[name] += right ? 1 : 0;
      per_puzzle[name] += right ? '1' : '0';
    }
    trajectories_correct.push_back(reading.correct_in_run);
    trajectories_run.push_back(run_size);
    pass_at_1 += static_cast<double>(reading.correct_in_run) / run_size;
    pass_at_k += analysis::pass_at_k(run_size, reading.correct_in_run, width);
    if (solutions) {
      coverage_per_puzzle.push_back(analysis::coverage(reading.valid_answers, *solutions));
      coverage += coverage_per_puzzle.back();
      one_answer_ceiling += *solutions > 0 ? 1.0 / static_cast<double>(*solutions) : 0.0;
    }
  }

  nlohmann::json figures(std::size_t puzzle_count, CellCosts costs, bool counts_solutions) const {
    const double puzzles = static_cast<double>(puzzle_count);
    GRAM_ASSERT(puzzles > 0, "a cell needs at least one puzzle");
    const double flops = static_cast<double>(applications) / costs.applications_per_step *
                         costs.flops_per_step;
    nlohmann::json result = {{"puzzles", puzzle_count},
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
    result["coverage"] =
        counts_solutions ? nlohmann::json(coverage / puzzles) : nlohmann::json(nullptr);
    if (counts_solutions) {
      result["coverage_per_puzzle"] = coverage_per_puzzle;
      result["coverage_one_answer_ceiling"] = one_answer_ceiling / puzzles;
    }
    return result;
  }
};

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
  const bool counts_solutions = !truth.solution_counts.empty();
  CellTally tally;
  for (std::size_t index = 0; index < outcomes.size(); ++index) {
    const engine::PuzzleOutcome& outcome = outcomes[index];
    const CellShape shape{widths[index], depth};
    const PuzzleReading reading =
        read_puzzle(outcome, shape, truth.target_hashes.at(outcome.puzzle), costs);
    tally.add(reading, static_cast<int>(outcome.trajectories.size()), shape.width, aggregators,
              counts_solutions ? std::optional(truth.solution_counts.at(outcome.puzzle))
                               : std::nullopt);
  }
  return tally.figures(outcomes.size(), costs, counts_solutions);
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
