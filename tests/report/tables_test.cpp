// The report's tables on the hand-built fixture (tests/report/sweep_fixture.h): every number
// below is worked out from the fixture's per-puzzle strings.
#include <gtest/gtest.h>

#include <string>

#include "report/sweep_fixture.h"
#include "report/tables.h"

namespace gram::report {
namespace {

using nlohmann::json;
using testing::TempDir;

ReportTables fixture_tables(bool training_flops = false, std::optional<double> peak = {}) {
  TempDir temp;
  const SweepResults results =
      load_sweeps({testing::write_sweep(temp, "sweep", testing::fixture_lines(training_flops))});
  return build_tables(results, {peak});
}

const json& find_row(const Table& table, const std::function<bool(const json&)>& match) {
  for (const json& row : table.rows) {
    if (match(row)) return row;
  }
  ADD_FAILURE() << "no such row in " << table.name;
  static const json none = json::object();
  return none;
}

TEST(ReportTables, IsoBudgetRowsCarryAccuracyAndWilsonIntervals) {
  const ReportTables tables = fixture_tables();
  ASSERT_EQ(tables.iso_budget.rows.size(), 7u);
  // Order: model (context order), budget, strategy (depth, width, grid).
  EXPECT_EQ(tables.iso_budget.rows[0]["model"], "small");
  EXPECT_EQ(tables.iso_budget.rows[0]["strategies"], "depth");
  EXPECT_EQ(tables.iso_budget.rows[1]["strategies"], "width+grid");
  const json& row = tables.iso_budget.rows[1];
  EXPECT_EQ(row["width"], 4);
  EXPECT_EQ(row["majority_correct"], 8);
  EXPECT_DOUBLE_EQ(row["majority_accuracy"].get<double>(), 0.8);
  EXPECT_NEAR(row["majority_low"].get<double>(), 0.4902, 5e-5);
  EXPECT_NEAR(row["majority_high"].get<double>(), 0.9433, 5e-5);
  EXPECT_TRUE(row["best_of_n_accuracy"].is_null());
  EXPECT_DOUBLE_EQ(row["oracle_accuracy"].get<double>(), 1.0);
  EXPECT_EQ(row["derived"], true);
  EXPECT_DOUBLE_EQ(row["flops_per_puzzle"].get<double>(), 1.6e7);
  EXPECT_TRUE(row["coverage"].is_null());
}

TEST(ReportTables, McNemarOfBestWidthAndGridAgainstDepth) {
  const ReportTables tables = fixture_tables();
  const auto at = [&](double budget, const std::string& comparison) -> const json& {
    return find_row(tables.iso_budget_mcnemar, [&](const json& row) {
      return row["model"] == "small" && row["budget"] == budget && row["comparison"] == comparison;
    });
  };
  // Budget 16: width 4x4 (0111111110) vs depth 1x16 (1000000110): only width 6, only depth 1.
  const json& width = at(16, "width vs depth");
  EXPECT_EQ(width["aggregator"], "majority");
  EXPECT_EQ(width["a_cell"], "4x4");
  EXPECT_EQ(width["b_cell"], "1x16");
  EXPECT_EQ(width["only_a"], 6);
  EXPECT_EQ(width["only_b"], 1);
  EXPECT_NEAR(width["p_value"].get<double>(), 0.125, 1e-12);
  // Best grid cell is 2x8 (9/10): only grid 7, only depth 1: 2 * 9/256.
  const json& grid = at(16, "grid vs depth");
  EXPECT_EQ(grid["a_cell"], "2x8");
  EXPECT_EQ(grid["only_a"], 7);
  EXPECT_NEAR(grid["p_value"].get<double>(), 18.0 / 256.0, 1e-12);
  // Budget 64: 4x16 (8/10) vs 1x64 (1/10), 7 discordant all one way: 2/128.
  EXPECT_NEAR(at(64, "width vs depth")["p_value"].get<double>(), 2.0 / 128.0, 1e-12);
  EXPECT_EQ(tables.iso_budget_mcnemar.rows.size(), 5u);  // small 16 x2, small 64, large 8 x2
}

TEST(ReportTables, ModelsAtMatchedInferenceFlops) {
  const ReportTables tables = fixture_tables();
  // small budget 64 and large budget 8 are both 6.4e7 FLOPs per puzzle.
  ASSERT_EQ(tables.model_comparison.rows.size(), 2u) << tables.model_comparison_note;
  const json& small = tables.model_comparison.rows[0];
  EXPECT_EQ(small["model"], "small");
  EXPECT_DOUBLE_EQ(small["matched_flops_per_puzzle"].get<double>(), 6.4e7);
  EXPECT_EQ(small["width"], 4);
  EXPECT_EQ(small["depth"], 16);
  EXPECT_EQ(small["aggregator"], "majority");  // oracle never wins "best"
  EXPECT_DOUBLE_EQ(small["accuracy"].get<double>(), 0.8);
  EXPECT_EQ(small["reference_model"], "large");
  // 1111111100 vs 1111110000: only small 2, only large 0: p = 2 / 4.
  EXPECT_EQ(small["only_this"], 2);
  EXPECT_EQ(small["only_reference"], 0);
  EXPECT_NEAR(small["p_value"].get<double>(), 0.5, 1e-12);
  const json& large = tables.model_comparison.rows[1];
  EXPECT_EQ(large["model"], "large");
  EXPECT_EQ(large["width"], 2);
  EXPECT_TRUE(large["p_value"].is_null());
}

TEST(ReportTables, TotalMatchedNeedsTrainingFlops) {
  EXPECT_TRUE(fixture_tables(false).total_matched.rows.empty());
  EXPECT_NE(fixture_tables(false).total_matched_note.find(
                "no training FLOPs are known for small, large"),
            std::string::npos);

  const ReportTables tables = fixture_tables(true);
  ASSERT_EQ(tables.total_matched.rows.size(), 1u);
  const json& row = tables.total_matched.rows[0];
  // Large: training 4.8e10 + 10 puzzles x 6.4e7; small: training 6e9, so its matched inference
  // per puzzle is 6.4e7 + (4.8e10 - 6e9) / 10 = 4.264e9, beyond its largest budget (6.4e7).
  EXPECT_NEAR(row["matched_flops_per_puzzle"].get<double>(), 4.264e9, 1.0);
  EXPECT_NEAR(row["inference_multiplier"].get<double>(), 4.264e9 / 6.4e7, 1e-9);
  EXPECT_EQ(row["match"], "beyond sweep");
  EXPECT_EQ(row["budget"], 64.0);
  EXPECT_DOUBLE_EQ(row["accuracy"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(row["reference_accuracy"].get<double>(), 0.6);
}

// When the smaller model's training alone costs more than the larger one's training plus its
// inference over the puzzles, no inference budget matches: the row says so, with no numbers.
TEST(ReportTables, TotalMatchedSaysNoMatchInsteadOfNegativeBudgets) {
  std::string lines = testing::fixture_lines(true);
  const std::size_t end = lines.find('\n');
  json context = json::parse(lines.substr(0, end));
  context["models"][0]["training_flops"] = 1e12;  // small: far more than large's 4.8e10 + 6.4e8
  lines = context.dump() + lines.substr(end);
  TempDir temp;
  const ReportTables tables =
      build_tables(load_sweeps({testing::write_sweep(temp, "sweep", lines)}), {});
  ASSERT_EQ(tables.total_matched.rows.size(), 1u);
  const json& row = tables.total_matched.rows[0];
  EXPECT_EQ(row["match"], "no match");
  EXPECT_TRUE(row["matched_flops_per_puzzle"].is_null());
  EXPECT_TRUE(row["inference_multiplier"].is_null());
  EXPECT_TRUE(row["budget"].is_null());
  EXPECT_NE(tables.total_matched_note.find("small's training alone (1e+12 FLOPs) exceeds large's"),
            std::string::npos)
      << tables.total_matched_note;
}

// A multi-solution task's cell: coverage with Student's t interval over puzzles and the one-answer
// ceiling. Small's 4x16 cell (line 6 of the fixture) gets coverages 0.5 x 5 and 1.0 x 5: mean
// 0.75, sd 0.263523, t(0.975, 9) = 2.262157, half-width 0.188512.
TEST(ReportTables, CoverageHasAnIntervalOverPuzzlesAndTheOneAnswerCeiling) {
  std::string lines = testing::fixture_lines();
  std::vector<std::string> records;
  for (std::size_t start = 0, end; (end = lines.find('\n', start)) != std::string::npos; start = end + 1) {
    records.push_back(lines.substr(start, end - start));
  }
  json cell = json::parse(records[5]);
  ASSERT_EQ(cell["width"], 4);
  ASSERT_EQ(cell["depth"], 16);
  cell["coverage"] = 0.75;
  cell["coverage_per_puzzle"] = {0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0};
  cell["coverage_one_answer_ceiling"] = 0.4;
  records[5] = cell.dump();
  lines.clear();
  for (const std::string& record : records) lines += record + "\n";
  TempDir temp;
  const ReportTables tables = build_tables(load_sweeps({testing::write_sweep(temp, "sweep", lines)}), {});
  const json& row = find_row(tables.iso_budget, [](const json& r) {
    return r["model"] == "small" && r["width"] == 4 && r["depth"] == 16;
  });
  EXPECT_NEAR(row["coverage_low"].get<double>(), 0.75 - 0.188512, 1e-5);
  EXPECT_NEAR(row["coverage_high"].get<double>(), 0.75 + 0.188512, 1e-5);
  EXPECT_DOUBLE_EQ(row["coverage_one_answer_ceiling"].get<double>(), 0.4);
}

TEST(ReportTables, LatencyOnlyForMeasuredCells) {
  const ReportTables tables = fixture_tables();
  ASSERT_EQ(tables.latency.rows.size(), 4u);
  const json& row = tables.latency.rows[0];
  EXPECT_EQ(row["width"], 1);
  EXPECT_EQ(row["depth"], 64);
  EXPECT_DOUBLE_EQ(row["decision_p90_s"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(row["gflops_per_s"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(row["peak_gflops_per_s"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(row["fraction_of_peak"].get<double>(), 0.2);
  // --peak-gflops replaces the measured peak.
  EXPECT_DOUBLE_EQ(fixture_tables(false, 40.0).latency.rows[0]["fraction_of_peak"].get<double>(), 0.5);
}

TEST(ReportTables, EntropyAndDerivedCells) {
  const ReportTables tables = fixture_tables();
  ASSERT_EQ(tables.entropy.rows.size(), 4u);
  EXPECT_EQ(tables.entropy.rows[2]["step"], 3);
  EXPECT_DOUBLE_EQ(tables.entropy.rows[2]["entropy_bits"].get<double>(), 1.5);
  ASSERT_EQ(tables.derived.rows.size(), 1u);
  EXPECT_EQ(tables.derived.rows[0]["source_run"], "small-w4-d16");
  EXPECT_EQ(tables.derived.rows[0]["cells"], "1x16 4x4 2x8");
}

TEST(ReportTables, CsvAndJsonHoldTheSameRows) {
  const ReportTables tables = fixture_tables();
  const std::string csv = to_csv(tables.iso_budget_mcnemar);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "model,halting,budget,comparison,aggregator,a_cell,a_accuracy,b_cell,b_accuracy,only_a,"
            "only_b,p_value");
  EXPECT_NE(csv.find("small,false,16.0,width vs depth,majority,4x4,0.8,1x16,0.3,6,1,0.125\n"),
            std::string::npos) << csv;
  const json document = to_json(tables.iso_budget_mcnemar);
  EXPECT_EQ(document["rows"], json(tables.iso_budget_mcnemar.rows));
  EXPECT_EQ(document["columns"].size(), 12u);
}

TEST(ReportTables, CsvQuotesFieldsThatNeedIt) {
  Table table{"t", "t", {{"a", ""}, {"b", ""}}, {}};
  table.add({{"a", "x,y"}, {"b", "say \"hi\""}});
  table.add({{"a", nullptr}});
  EXPECT_EQ(to_csv(table), "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n,\n");
}

}  // namespace
}  // namespace gram::report

namespace gram::report {
namespace {

TEST(ReportTables, BudgetsInFlopsMatchModelsExactly) {
  TempDir temp;
  // The same cells with budgets given in FLOPs per puzzle: small's 64 steps and large's 8 steps
  // are both 6.4e7 FLOPs; small's 16 steps (1.6e7) has no partner.
  nlohmann::json context = testing::fixture_context(false);
  context["budget_unit"] = "flops";
  std::string lines = context.dump() + "\n";
  const auto cell = [](const std::string& model, double budget, int width, int depth,
                       const std::string& majority) {
    return testing::fixture_cell(model, budget, width, depth, {"width"}, majority, false, "r").dump() + "\n";
  };
  lines += cell("small", 1.6e7, 4, 4, "0111111110") + cell("small", 6.4e7, 4, 16, "1111111100") +
           cell("large", 6.4e7, 2, 4, "1111110000");
  const ReportTables tables =
      build_tables(load_sweeps({testing::write_sweep(temp, "sweep", lines)}), {});
  ASSERT_EQ(tables.model_comparison.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(tables.model_comparison.rows[0]["matched_flops_per_puzzle"].get<double>(), 6.4e7);
  EXPECT_DOUBLE_EQ(tables.model_comparison.rows[0]["budget"].get<double>(), 6.4e7);
  EXPECT_NEAR(tables.model_comparison.rows[0]["p_value"].get<double>(), 0.5, 1e-12);
  // No depth cell at any budget: no paired width-vs-depth rows.
  EXPECT_TRUE(tables.iso_budget_mcnemar.rows.empty());
}

TEST(ReportTables, OneModelSaysThereIsNothingToCompare) {
  TempDir temp;
  nlohmann::json context = testing::fixture_context(false);
  context["models"].erase(1);
  const std::string lines =
      context.dump() + "\n" +
      testing::fixture_cell("small", 16, 1, 16, {"depth"}, "1000000110", false, "r").dump() + "\n";
  const ReportTables tables =
      build_tables(load_sweeps({testing::write_sweep(temp, "sweep", lines)}), {});
  EXPECT_TRUE(tables.model_comparison.rows.empty());
  EXPECT_EQ(tables.model_comparison_note, "one model in the sweep: no cross-model comparison");
  EXPECT_EQ(tables.total_matched_note, "one model in the sweep: no cross-model comparison");
}

}  // namespace
}  // namespace gram::report
