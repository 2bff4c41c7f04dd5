// The sweep plan on hand-worked cases: which cells each strategy spends a budget on, which runs
// cover them, and what a FLOP budget buys models of different sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "sweep/sweep_plan.h"

namespace {

using gram::sweep::PlanModel;
using gram::sweep::PlanSettings;
using gram::sweep::plan_sweep;

PlanSettings steps_settings(std::vector<double> budgets, std::vector<std::string> strategies) {
  PlanSettings settings;
  settings.budgets = std::move(budgets);
  settings.strategies = std::move(strategies);
  settings.fixed_depth = 2;
  settings.halting_modes = {false};
  return settings;
}

std::string shapes(const gram::sweep::SweepPlan& plan) {
  std::vector<std::string> text;
  for (const auto& cell : plan.cells) {
    text.push_back(std::to_string(static_cast<int>(cell.budget)) + ":" + std::to_string(cell.width) +
                   "x" + std::to_string(cell.depth) + (cell.derived ? "d" : ""));
  }
  std::sort(text.begin(), text.end());
  std::string joined;
  for (const auto& item : text) joined += item + " ";
  return joined;
}

TEST(SweepPlan, StrategiesSpendABudgetAsTheirNamesSay) {
  const PlanModel model{"m", 1.0};
  const auto plan = plan_sweep(steps_settings({8}, {"width", "depth", "grid"}), {&model, 1});
  // width: 4 x 2 (fixed depth 2); depth: 1 x 8; grid: 1x8 2x4 4x2 8x1 (shared cells merged).
  EXPECT_EQ(shapes(plan), "8:1x8 8:2x4 8:4x2 8:8x1 ");
  for (const auto& cell : plan.cells) {
    if (cell.width == 4) EXPECT_EQ(cell.strategies, (std::vector<std::string>{"width", "grid"}));
    if (cell.width == 1) EXPECT_EQ(cell.strategies, (std::vector<std::string>{"depth", "grid"}));
  }
  // No cell of one budget contains another, so each is its own run.
  EXPECT_EQ(plan.runs.size(), 4u);
}

TEST(SweepPlan, SmallerBudgetsAreDerivedFromPrefixesOfLargerRuns) {
  const PlanModel model{"m", 1.0};
  const auto plan = plan_sweep(steps_settings({2, 4, 8}, {"width", "depth"}), {&model, 1});
  // width at 2, 4, 8: 1x2 2x2 4x2; depth: 1x2 1x4 1x8. Runs: 4x2 and 1x8 cover all.
  EXPECT_EQ(shapes(plan), "2:1x2d 4:1x4d 4:2x2d 8:1x8 8:4x2 ");
  ASSERT_EQ(plan.runs.size(), 2u);
  EXPECT_EQ(plan.runs[0].name, "m-nohalt-w1-d8");
  EXPECT_EQ(plan.runs[1].name, "m-nohalt-w4-d2");

  auto settings = steps_settings({2, 4, 8}, {"width", "depth"});
  settings.derive = false;
  const auto direct = plan_sweep(settings, {&model, 1});
  EXPECT_EQ(direct.runs.size(), 5u);  // one run per distinct shape
  for (const auto& cell : direct.cells) EXPECT_FALSE(cell.derived);
}

TEST(SweepPlan, FlopBudgetsBuyFewerStepsOfALargerModel) {
  const std::vector<PlanModel> models = {{"small", 100.0}, {"large", 400.0}};
  PlanSettings settings = steps_settings({1600}, {"width", "depth"});
  settings.budget_in_flops = true;
  EXPECT_EQ(gram::sweep::budget_steps(settings, models[0], 1600), 16);
  EXPECT_EQ(gram::sweep::budget_steps(settings, models[1], 1600), 4);
  EXPECT_EQ(gram::sweep::budget_steps(settings, models[1], 1599), 3);  // never over budget
  const auto plan = plan_sweep(settings, models);
  int small_cells = 0;
  for (const auto& cell : plan.cells) {
    const int steps = cell.width * cell.depth;
    EXPECT_LE(steps * models[cell.model].flops_per_step, 1600.0);
    small_cells += cell.model == 0 ? 1 : 0;
  }
  EXPECT_EQ(small_cells, 2);  // 8 x 2 and 1 x 16
}

TEST(SweepPlan, ABudgetTooSmallForAStrategyIsSkippedAndSaid) {
  const PlanModel model{"m", 1.0};
  PlanSettings settings = steps_settings({1}, {"width", "depth"});
  settings.halting_modes = {false, true};
  const auto plan = plan_sweep(settings, {&model, 1});
  EXPECT_EQ(plan.cells.size(), 2u);  // depth 1x1, once per halting mode
  ASSERT_EQ(plan.skipped.size(), 1u);  // said once, not once per halting mode
  EXPECT_NE(plan.skipped[0].find("too few for width"), std::string::npos);
}

}  // namespace
