// Adaptive policies replayed on hand-built recorded trajectories: the widths each policy draws,
// its compute, and the uniform cells it is paired with (the nearest not smaller compute, and
// the whole run).
#include <gtest/gtest.h>

#include "sweep/policy_cells.h"

namespace {

using gram::engine::Aggregator;
using gram::engine::PuzzleOutcome;
using gram::engine::StepAnswer;
using gram::engine::StoppingRule;
using gram::engine::TrajectoryResult;

constexpr std::uint64_t kRight = 0xAA;  // smaller than kWrong: wins a tie on equal values
constexpr std::uint64_t kWrong = 0xB1;

// One puzzle whose trajectories each ran one step with these answers (value 0.5 each).
PuzzleOutcome puzzle(std::uint32_t index, std::initializer_list<std::uint64_t> answers) {
  PuzzleOutcome outcome;
  outcome.puzzle = index;
  std::uint32_t t = 0;
  for (std::uint64_t answer : answers) {
    TrajectoryResult result;
    result.trajectory = t++;
    result.history = {StepAnswer{answer, answer == kRight, 0.5f}};
    result.steps = 1;
    outcome.trajectories.push_back(result);
  }
  return outcome;
}

// P0 agrees at once (right), P1 only after its second round (right), P2 agrees at once on a
// wrong answer that the whole run would outvote (2 - 2, the tie to the smaller hash).
std::vector<PuzzleOutcome> run_of_width_4() {
  return {puzzle(0, {kRight, kRight, kRight, kRight}),
          puzzle(1, {kWrong, kRight, kRight, kRight}),
          puzzle(2, {kWrong, kWrong, kRight, kRight})};
}

gram::sweep::Policy agreement_policy() {
  gram::sweep::Policy policy;
  policy.name = "agreement";
  policy.stopping = {StoppingRule::kAgreement, 0.95, 2};
  policy.round = 2;
  return policy;
}

TEST(PolicyCells, StoppingRuleWidthsAndMatchedUniformCells) {
  const auto outcomes = run_of_width_4();
  const gram::sweep::PuzzleTruth truth{{kRight, kRight, kRight}, {}};
  const std::vector<Aggregator> aggregators{Aggregator::kMajority};
  const auto policy = agreement_policy();
  EXPECT_EQ(gram::sweep::policy_widths(outcomes, policy, 4, 1), (std::vector<int>{2, 4, 2}));

  const auto figures =
      gram::sweep::policy_figures(outcomes, truth, aggregators, policy, 4, 1, {1, 1.0});
  EXPECT_EQ(figures["per_puzzle"]["majority"], "110");
  EXPECT_EQ(figures["applications"], 8);
  EXPECT_NEAR(figures["trajectories_per_puzzle"]["mean"].get<double>(), 8.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(figures["trajectories_per_puzzle"]["p50"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(figures["trajectories_per_puzzle"]["p90"].get<double>(), 3.6);
  EXPECT_DOUBLE_EQ(figures["trajectories_per_puzzle"]["max"].get<double>(), 4.0);
  EXPECT_NEAR(figures["saving"].get<double>(), 1.0 - (8.0 / 3.0) / 4.0, 1e-12);
  // 2.67 applications per puzzle: width 2 spends less, width 3 is the nearest not smaller.
  const auto& matched = figures["matched_uniform"];
  EXPECT_EQ(matched["width"], 3);
  EXPECT_EQ(matched["correct"]["majority"], 2);  // P2: wrong, wrong, right -> wrong
  EXPECT_EQ(matched["mcnemar"]["majority"]["only_policy"], 0);
  EXPECT_EQ(matched["mcnemar"]["majority"]["only_uniform"], 0);
  // The whole run solves P2 (2 - 2 tie to the smaller hash): one puzzle only it solved.
  const auto& full = figures["full_uniform"];
  EXPECT_EQ(full["width"], 4);
  EXPECT_EQ(full["correct"]["majority"], 3);
  EXPECT_EQ(full["mcnemar"]["majority"]["only_uniform"], 1);
  EXPECT_DOUBLE_EQ(full["mcnemar"]["majority"]["p_value"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(figures["accuracy"]["majority"]["accuracy"].get<double>(), 2.0 / 3.0);
}

TEST(PolicyCells, AllocationSpendsItsBudgetOnThePuzzleInDoubt) {
  gram::sweep::Policy policy;
  policy.name = "allocate";
  policy.round = 2;     // probe
  policy.budget = 3.0;  // 9 trajectories for 3 puzzles, 6 of them the probe
  policy.use_values = false;
  // Probes: P0 (right, right) and P2 (wrong, wrong) settled; P1 (wrong, right) gets 2 of the
  // 3 left, as the run's width 4 caps it.
  EXPECT_EQ(gram::sweep::policy_widths(run_of_width_4(), policy, 4, 1),
            (std::vector<int>{2, 4, 2}));
  EXPECT_TRUE(policy.fits(4));
  policy.budget = 5.0;
  EXPECT_FALSE(policy.fits(4));  // more than the run holds per puzzle
  EXPECT_FALSE(agreement_policy().fits(2));  // one round is all a run of 2 holds
}

TEST(PolicyCells, RecordKeysNameRunAndPolicy) {
  EXPECT_EQ(gram::sweep::policy_record_key(
                {{"type", "policy"}, {"source_run", "m-nohalt-w4-d1"}, {"policy", "beta"}}),
            gram::sweep::policy_key("m-nohalt-w4-d1", "beta"));
  EXPECT_EQ(gram::sweep::policy_record_key({{"type", "cell"}, {"source_run", "r"}}), "");
  EXPECT_EQ(gram::sweep::policy_record_key({{"type", "policy"}, {"policy", 3}}), "");
}

}  // namespace
