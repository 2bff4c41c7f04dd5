#include "sweep/policy_cells.h"

#include <algorithm>
#include <memory>

#include "analysis/metrics.h"
#include "util/error.h"

namespace gram::sweep {
namespace {

// Contiguous bools for analysis::mcnemar (std::vector<bool> is packed).
std::unique_ptr<bool[]> outcomes_of(const nlohmann::json& figures, const std::string& aggregator,
                                    std::size_t puzzles) {
  const std::string text = figures.at("per_puzzle").at(aggregator).get<std::string>();
  GRAM_ASSERT(text.size() == puzzles, "one outcome per puzzle");
  std::unique_ptr<bool[]> result(new bool[puzzles]);
  for (std::size_t p = 0; p < puzzles; ++p) result[p] = text[p] == '1';
  return result;
}

nlohmann::json quantiles(const std::vector<double>& sample) {
  double total = 0.0;
  for (double value : sample) total += value;
  return {{"mean", total / static_cast<double>(sample.size())},
          {"p50", analysis::percentile(sample, 50)},
          {"p90", analysis::percentile(sample, 90)},
          {"max", *std::max_element(sample.begin(), sample.end())}};
}

// A uniform cell compared with the policy's, puzzle by puzzle, for every aggregator.
nlohmann::json uniform_comparison(const nlohmann::json& policy, const nlohmann::json& uniform,
                                  int width, int depth,
                                  std::span<const engine::Aggregator> aggregators) {
  nlohmann::json mcnemar = nlohmann::json::object();
  for (engine::Aggregator aggregator : aggregators) {
    const std::string name = engine::aggregator_name(aggregator);
    const std::size_t puzzles = policy.at("puzzles").get<std::size_t>();
    const auto a = outcomes_of(policy, name, puzzles);
    const auto b = outcomes_of(uniform, name, puzzles);
    const analysis::McNemarResult test = analysis::mcnemar({a.get(), puzzles}, {b.get(), puzzles});
    mcnemar[name] = {{"only_policy", test.only_a},
                     {"only_uniform", test.only_b},
                     {"p_value", test.p_value}};
  }
  return {{"width", width},
          {"depth", depth},
          {"applications_per_puzzle", uniform.at("applications_per_puzzle")},
          {"flops_per_puzzle", uniform.at("flops_per_puzzle")},
          {"correct", uniform.at("correct")},
          {"mcnemar", mcnemar}};
}

}  // namespace

void add_uniform_comparisons(nlohmann::json& figures, std::span<const UniformCandidate> uniform,
                             int depth, std::span<const engine::Aggregator> aggregators) {
  GRAM_ASSERT(!uniform.empty(), "a comparison needs at least one uniform cell");
  const auto puzzles = figures.at("puzzles").get<std::int64_t>();
  nlohmann::json accuracy = nlohmann::json::object();
  for (const auto& [name, correct] : figures.at("correct").items()) {
    const analysis::Interval interval =
        analysis::wilson_interval(correct.get<std::int64_t>(), puzzles);
    accuracy[name] = {{"accuracy", correct.get<double>() / static_cast<double>(puzzles)},
                      {"low", interval.low},
                      {"high", interval.high}};
  }
  figures["accuracy"] = accuracy;

  // The nearest not smaller uniform compute.
  const double spent = figures.at("applications_per_puzzle").get<double>();
  for (const UniformCandidate& candidate : uniform) {
    if (candidate.figures.at("applications_per_puzzle").get<double>() >= spent) {
      figures["matched_uniform"] =
          uniform_comparison(figures, candidate.figures, candidate.width, depth, aggregators);
      break;
    }
  }
  GRAM_ASSERT(figures.contains("matched_uniform"), "no uniform cell spends as much");
  const UniformCandidate& widest = uniform.back();
  figures["full_uniform"] =
      uniform_comparison(figures, widest.figures, widest.width, depth, aggregators);
  figures["saving"] =
      1.0 - spent / widest.figures.at("applications_per_puzzle").get<double>();
}

std::vector<Policy> sweep_policies(const config::SweepConfig& config, bool has_value_head) {
  std::vector<Policy> policies;
  for (const std::string& name : config.policies) {
    Policy policy;
    policy.name = name;
    policy.round = config.policy_round;
    policy.budget = config.allocate_budget;
    policy.use_values = has_value_head;
    if (name != "allocate") {
      policy.stopping.rule = engine::parse_stopping_rule(name);
      policy.stopping.threshold =
          name == "verifier" ? config.verifier_threshold : config.beta_threshold;
      policy.stopping.window = config.agreement_window;
    }
    policies.push_back(policy);
  }
  return policies;
}

bool Policy::fits(int width) const {
  if (name == "allocate") return round <= width && budget <= width && round <= budget;
  return round < width;
}

nlohmann::json Policy::settings_json() const {
  if (name == "allocate") {
    return {{"probe", round}, {"budget", budget}, {"use_values", use_values}};
  }
  nlohmann::json settings = {{"round", round}};
  if (name == "beta" || name == "verifier") settings["threshold"] = stopping.threshold;
  if (name == "agreement") settings["window"] = stopping.window;
  return settings;
}

std::vector<int> policy_widths(std::span<const engine::PuzzleOutcome> outcomes,
                               const Policy& policy, int width, int depth) {
  GRAM_ASSERT(policy.fits(width), "policy " + policy.name + " does not fit a run this narrow");
  std::vector<int> widths;
  if (policy.name == "allocate") {
    engine::AllocationSettings settings;
    settings.probe = policy.round;
    settings.budget = policy.budget;
    settings.cap = width;
    settings.use_values = policy.use_values;
    std::vector<std::vector<engine::Candidate>> probes;
    for (const auto& outcome : outcomes) probes.push_back(candidates_at(outcome, policy.round, depth));
    return engine::allocate_widths(probes, settings);
  }
  engine::AdaptiveSettings settings;
  settings.stopping = policy.stopping;
  settings.round = policy.round;
  settings.width = width;
  for (const auto& outcome : outcomes) {
    widths.push_back(engine::settled_width(candidates_at(outcome, width, depth), settings));
  }
  return widths;
}

nlohmann::json policy_figures(std::span<const engine::PuzzleOutcome> outcomes,
                              const PuzzleTruth& truth,
                              std::span<const engine::Aggregator> aggregators,
                              const Policy& policy, int width, int depth, CellCosts costs) {
  const std::vector<int> widths = policy_widths(outcomes, policy, width, depth);
  nlohmann::json figures = cell_figures(outcomes, truth, aggregators, widths, depth, costs);

  // Compute per puzzle: a trajectory costs its steps up to `depth` (fewer when it halted).
  std::vector<double> trajectories, applications, flops;
  for (std::size_t p = 0; p < outcomes.size(); ++p) {
    std::int64_t steps = 0;
    for (int t = 0; t < widths[p]; ++t) {
      steps += std::min<std::int64_t>(depth, outcomes[p].trajectories[t].history.size());
    }
    trajectories.push_back(widths[p]);
    applications.push_back(static_cast<double>(steps * costs.applications_per_step));
    flops.push_back(static_cast<double>(steps) * costs.flops_per_step);
  }
  figures["per_puzzle_trajectories"] = widths;
  figures["trajectories_per_puzzle"] = quantiles(trajectories);
  figures["applications_distribution"] = quantiles(applications);
  figures["flops_distribution"] = quantiles(flops);

  std::vector<UniformCandidate> uniform;
  for (int w = 1; w <= width; ++w) {
    uniform.push_back({w, cell_figures(outcomes, truth, aggregators, {w, depth}, costs)});
  }
  add_uniform_comparisons(figures, uniform, depth, aggregators);
  return figures;
}

}  // namespace gram::sweep
