// The report's Findings: the sweep's named comparisons (analysis/comparison_spec.h) tested at
// every budget both sides reach, as one family of paired tests on the same puzzles, Holm-adjusted
// together. Without named comparisons the report tests a default family it states (each model's
// width against depth, its verifier against its vote, each smaller model's width against the
// largest model's depth), still Holm-adjusted, and says that these were not named before the run.
#include "report/findings.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "analysis/comparison_spec.h"
#include "analysis/inference.h"
#include "report/markdown_format.h"

namespace gram::report {
namespace {

using nlohmann::json;

// Budgets of two models count as the same FLOP budget within this relative distance (as in the
// model comparison: a sweep in FLOPs matches them exactly, one in steps rarely does).
constexpr double kFlopMatchTolerance = 0.05;
constexpr double kFamilyAlpha = 0.05;

double nominal_flops(const SweepResults& results, const std::string& model, double budget) {
  return results.budget_unit == "flops" ? budget : budget * results.model(model).flops_per_step;
}

// The cell that `side` names at (halting, budget), or null.
const Cell* side_cell(const SweepResults& results, const analysis::ComparisonSide& side,
                      bool halting, double budget) {
  for (const Cell& cell : results.cells) {
    if (cell.model != side.model || cell.halting != halting || cell.budget != budget) continue;
    if (!cell.serves(side.strategy)) continue;
    if (side.strategy == "grid" && cell.width != side.width) continue;
    if (std::find(cell.aggregators.begin(), cell.aggregators.end(), side.aggregator) ==
        cell.aggregators.end()) {
      continue;
    }
    return &cell;
  }
  return nullptr;
}

// B's budget paired with A's budget `budget_a`: the same one for one model, else the budget of
// B's model nearest in FLOPs per puzzle within the tolerance.
std::optional<double> paired_budget(const SweepResults& results, const analysis::ComparisonSpec& spec,
                                    bool halting, double budget_a) {
  if (spec.a.model == spec.b.model) return budget_a;
  const double target = nominal_flops(results, spec.a.model, budget_a);
  std::optional<double> best;
  double best_distance = kFlopMatchTolerance;
  for (const Cell& cell : results.cells) {
    if (cell.model != spec.b.model || cell.halting != halting) continue;
    const double distance =
        std::abs(nominal_flops(results, spec.b.model, cell.budget) - target) / target;
    if (distance <= best_distance) {
      best = cell.budget;
      best_distance = distance;
    }
  }
  return best;
}

analysis::PairedCounts paired_counts(const Cell& a, const std::string& a_aggregator, const Cell& b,
                                     const std::string& b_aggregator) {
  const std::vector<bool> a_right = a.outcomes(a_aggregator);
  const std::vector<bool> b_right = b.outcomes(b_aggregator);
  analysis::PairedCounts counts;
  for (std::size_t i = 0; i < a_right.size(); ++i) {
    if (a_right[i] && b_right[i]) ++counts.both;
    if (a_right[i] && !b_right[i]) ++counts.only_a;
    if (!a_right[i] && b_right[i]) ++counts.only_b;
    if (!a_right[i] && !b_right[i]) ++counts.neither;
  }
  return counts;
}

// One row per budget A's model reaches where both sides have a cell (p_holm filled in later).
void test_comparison(const SweepResults& results, const analysis::ComparisonSpec& spec,
                     bool named, Table& table) {
  std::vector<std::pair<bool, double>> budgets;  // (halting, A's budget), in order
  for (const Cell& cell : results.cells) {
    if (cell.model != spec.a.model) continue;
    const std::pair<bool, double> key{cell.halting, cell.budget};
    if (std::find(budgets.begin(), budgets.end(), key) == budgets.end()) budgets.push_back(key);
  }
  std::sort(budgets.begin(), budgets.end());
  for (const auto& [halting, budget_a] : budgets) {
    const std::optional<double> budget_b = paired_budget(results, spec, halting, budget_a);
    if (!budget_b) continue;
    const Cell* a = side_cell(results, spec.a, halting, budget_a);
    const Cell* b = side_cell(results, spec.b, halting, *budget_b);
    // One cell can be both sides (a verifier against a vote on the same trajectories).
    if (a == nullptr || b == nullptr) continue;
    const analysis::PairedCounts counts = paired_counts(*a, spec.a.aggregator, *b, spec.b.aggregator);
    const analysis::Interval interval = analysis::paired_difference_interval(counts);
    const PairedTest test = paired_test(*a, spec.a.aggregator, *b, spec.b.aggregator);
    table.add({{"comparison", spec.text()},
               {"named_before_run", named},
               {"halting", halting},
               {"a_budget", budget_a},
               {"b_budget", *budget_b},
               {"flops_per_puzzle", nominal_flops(results, spec.a.model, budget_a)},
               {"a_cell", cell_label(a->width, a->depth)},
               {"b_cell", cell_label(b->width, b->depth)},
               {"a_accuracy", a->accuracy(spec.a.aggregator)},
               {"b_accuracy", b->accuracy(spec.b.aggregator)},
               {"difference", counts.difference()},
               {"difference_low", interval.low},
               {"difference_high", interval.high},
               {"only_a", test.only_a},
               {"only_b", test.only_b},
               {"p_value", test.p_value},
               {"p_holm", nullptr},
               {"verdict", nullptr}});
  }
}

// The family tested when the sweep named none: stated in the report, Holm-adjusted all the same.
std::vector<analysis::ComparisonSpec> default_family(const SweepResults& results) {
  std::vector<analysis::ComparisonSpec> family;
  std::vector<const Cell*> all;
  for (const Cell& cell : results.cells) all.push_back(&cell);
  const std::string aggregator = ranking_aggregator(all);
  if (aggregator.empty() || aggregator == "oracle") return family;
  const ModelInfo* largest = &results.models.front();
  for (const ModelInfo& model : results.models) {
    if (model.parameters > largest->parameters) largest = &model;
  }
  for (const ModelInfo& model : results.models) {
    family.push_back({{model.name, "width", 0, aggregator}, {model.name, "depth", 0, aggregator}});
    const bool has_verifier = std::any_of(results.cells.begin(), results.cells.end(),
                                          [&](const Cell& cell) {
                                            return cell.model == model.name &&
                                                   cell.correct.count("best_of_n");
                                          });
    if (has_verifier && aggregator != "best_of_n") {
      family.push_back({{model.name, "width", 0, "best_of_n"}, {model.name, "width", 0, aggregator}});
    }
    if (&model != largest && model.parameters < largest->parameters) {
      family.push_back({{model.name, "width", 0, aggregator}, {largest->name, "depth", 0, aggregator}});
    }
  }
  return family;
}

}  // namespace

void build_findings(const SweepResults& results, ReportTables& tables) {
  Table& table = tables.findings;
  table = {"findings", "Named comparisons, Holm-adjusted together", {
      {"comparison", "A vs B, each model/strategy/aggregator"},
      {"named_before_run", "true: named in the sweep config before the run"},
      {"halting", "halting on"},
      {"a_budget", "A's budget, in budget_unit"},
      {"b_budget", "B's budget, in budget_unit (matched in FLOPs per puzzle across models)"},
      {"flops_per_puzzle", "A's budget in FLOPs per puzzle"},
      {"a_cell", "A's cell, N x S"},
      {"b_cell", "B's cell, N x S"},
      {"a_accuracy", "A's accuracy"},
      {"b_accuracy", "B's accuracy"},
      {"difference", "accuracy(A) - accuracy(B), on the same puzzles"},
      {"difference_low", "Newcombe's 95% lower bound for the paired difference"},
      {"difference_high", "Newcombe's 95% upper bound"},
      {"only_a", "puzzles only A solved"},
      {"only_b", "puzzles only B solved"},
      {"p_value", "exact two-sided McNemar p"},
      {"p_holm", "p adjusted by Holm over every row of this table"},
      {"verdict", "A better / B better (p_holm < 0.05) or no significant difference"}}, {}};
  std::vector<analysis::ComparisonSpec> family;
  const bool named = !results.comparisons.empty();
  if (named) {
    for (const std::string& text : results.comparisons) family.push_back(analysis::parse_comparison(text));
  } else {
    family = default_family(results);
  }
  for (const analysis::ComparisonSpec& spec : family) test_comparison(results, spec, named, table);

  std::vector<double> p_values;
  for (const json& row : table.rows) p_values.push_back(row["p_value"].get<double>());
  const std::vector<double> adjusted = analysis::holm_adjust(p_values);
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    json& row = table.rows[i];
    row["p_holm"] = adjusted[i];
    const double difference = row["difference"].get<double>();
    row["verdict"] = adjusted[i] >= kFamilyAlpha ? "no significant difference"
                     : difference > 0            ? "A better"
                                                 : "B better";
  }
  tables.findings_note =
      named ? std::to_string(family.size()) + " comparisons named in the sweep config before the run"
            : "the sweep named no comparisons (its config's `comparisons`), so the report tested "
              "this default family, chosen by rule, not after looking: each model's width against "
              "its depth, its verifier (best_of_n) against its vote, and each smaller model's "
              "width against the largest model's depth";
}

}  // namespace gram::report
