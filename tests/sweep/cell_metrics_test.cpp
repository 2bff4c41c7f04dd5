// Cell figures from hand-built per-step answers: prefixes of trajectories, answers read at a
// depth (or where a trajectory halted), votes, pass@k with the run's n, costs, entropy.
#include <gtest/gtest.h>

#include "sweep/cell_metrics.h"

namespace {

using gram::engine::Aggregator;
using gram::engine::PuzzleOutcome;
using gram::engine::StepAnswer;
using gram::engine::TrajectoryResult;

constexpr std::uint64_t kRight = 0xAA;
constexpr std::uint64_t kWrongA = 0xB1;
constexpr std::uint64_t kWrongB = 0xB2;

TrajectoryResult trajectory(std::uint32_t index, std::vector<StepAnswer> history) {
  TrajectoryResult result;
  result.trajectory = index;
  result.history = std::move(history);
  result.steps = static_cast<int>(result.history.size());
  return result;
}

// One puzzle, three trajectories:
//   t0: wrongA, right        (ran 2 steps)
//   t1: wrongA               (halted after 1 step)
//   t2: wrongB, wrongB
PuzzleOutcome hand_built_puzzle() {
  PuzzleOutcome outcome;
  outcome.puzzle = 0;
  outcome.trajectories.push_back(trajectory(0, {{kWrongA, false, 0.2f}, {kRight, true, 0.9f}}));
  outcome.trajectories.push_back(trajectory(1, {{kWrongA, false, 0.3f}}));
  outcome.trajectories.push_back(trajectory(2, {{kWrongB, false, 0.1f}, {kWrongB, false, 0.8f}}));
  return outcome;
}

TEST(CellFigures, ReadsPrefixesAtTheCellsDepth) {
  const std::vector<PuzzleOutcome> outcomes = {hand_built_puzzle()};
  gram::sweep::PuzzleTruth truth{{kRight}, {}};
  const std::vector<Aggregator> aggregators = {Aggregator::kMajority, Aggregator::kBestOfN,
                                               Aggregator::kOracle};
  const gram::sweep::CellCosts costs{3, 10.0};

  // Depth 1: nobody is right yet.
  auto figures = gram::sweep::cell_figures(outcomes, truth, aggregators, {3, 1}, costs);
  EXPECT_EQ(figures["correct"]["oracle"], 0);
  EXPECT_EQ(figures["pass_at_k"], 0.0);
  EXPECT_EQ(figures["applications"], 9);  // 3 trajectories x 1 step x 3 applications

  // Depth 2, width 2: t0 right, t1 halted at wrongA. Majority tie (1 vs 1) -> larger summed
  // value: right (0.9) beats wrongA (0.3). Best-of-N: 0.9 -> right.
  figures = gram::sweep::cell_figures(outcomes, truth, aggregators, {2, 2}, costs);
  EXPECT_EQ(figures["correct"]["majority"], 1);
  EXPECT_EQ(figures["correct"]["best_of_n"], 1);
  EXPECT_EQ(figures["per_puzzle"]["oracle"], "1");
  EXPECT_EQ(figures["applications"], 9);  // (2 + 1) steps x 3
  EXPECT_DOUBLE_EQ(figures["flops"].get<double>(), 30.0);
  // pass@k uses every trajectory of the run (n = 3, c = 1): pass@2 = 1 - C(2,2)/C(3,2) = 2/3.
  EXPECT_NEAR(figures["pass_at_k"].get<double>(), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(figures["pass_at_1"].get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_TRUE(figures["coverage"].is_null());

  // Width 1 at depth 2 sees only t0.
  figures = gram::sweep::cell_figures(outcomes, truth, aggregators, {1, 2}, costs);
  EXPECT_EQ(figures["correct"]["majority"], 1);
}

TEST(CellFigures, CoverageCountsDistinctValidAnswersOfMultiSolutionPuzzles) {
  PuzzleOutcome outcome;
  outcome.trajectories.push_back(trajectory(0, {{0x1, true, 0.0f}}));
  outcome.trajectories.push_back(trajectory(1, {{0x1, true, 0.0f}}));
  outcome.trajectories.push_back(trajectory(2, {{0x2, true, 0.0f}}));
  outcome.trajectories.push_back(trajectory(3, {{0x3, false, 0.0f}}));
  const std::vector<PuzzleOutcome> outcomes = {outcome};
  gram::sweep::PuzzleTruth truth{{0}, {4}};  // no reference solution; 4 solutions exist
  const std::vector<Aggregator> aggregators = {Aggregator::kOracle};
  const auto figures = gram::sweep::cell_figures(outcomes, truth, aggregators, {4, 1}, {1, 1.0});
  EXPECT_DOUBLE_EQ(figures["coverage"].get<double>(), 2.0 / 4.0);
  EXPECT_EQ(figures["correct"]["oracle"], 1);
  EXPECT_DOUBLE_EQ(figures["pass_at_1"].get<double>(), 3.0 / 4.0);
}

TEST(EntropyByDepth, FollowsTheAnswersStepByStep) {
  const std::vector<PuzzleOutcome> outcomes = {hand_built_puzzle()};
  const auto entropy = gram::sweep::entropy_by_depth(outcomes, 2);
  ASSERT_EQ(entropy.size(), 2u);
  // Step 1: {A, A, B} -> H = -(2/3 log2 2/3 + 1/3 log2 1/3) = 0.9183; step 2: {R, A, B} -> log2 3.
  EXPECT_NEAR(entropy[0], 0.918295834, 1e-9);
  EXPECT_NEAR(entropy[1], 1.584962501, 1e-9);
}

}  // namespace
