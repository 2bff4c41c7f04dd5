// Small-wide vs large-narrow: each model's best cell at matched inference FLOPs per puzzle, and
// (when every model's training FLOPs are known) at matched total compute, science.md s3.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "analysis/metrics.h"
#include "report/tables.h"

namespace gram::report {

namespace {

std::string format_flops(double flops) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", flops);
  return text;
}

using nlohmann::json;

// Budgets of different models count as the same FLOP budget within this relative distance.
// Budgets in FLOPs are matched exactly by the sweep; budgets in steps rarely are, hence a band.
constexpr double kFlopMatchTolerance = 0.05;

struct Choice {
  const Cell* cell = nullptr;
  std::string aggregator;
};

// The most accurate (cell, aggregator) among `cells`; "oracle" only if nothing else is there,
// since it is a bound, not a method.
Choice best_choice(const std::vector<const Cell*>& cells) {
  Choice best;
  for (const bool allow_oracle : {false, true}) {
    for (const Cell* cell : cells) {
      for (const std::string& aggregator : cell->aggregators) {
        if ((aggregator == "oracle") != allow_oracle) continue;
        const auto rank = [&](const Cell* c, const std::string& a) {
          const auto& order = aggregator_order();
          return std::make_tuple(-c->correct.at(a), c->flops_per_puzzle,
                                 std::find(order.begin(), order.end(), a) - order.begin(), c->width);
        };
        if (best.cell == nullptr || rank(cell, aggregator) < rank(best.cell, best.aggregator)) {
          best = {cell, aggregator};
        }
      }
    }
    if (best.cell != nullptr) break;
  }
  return best;
}

double nominal_flops(const SweepResults& results, const std::string& model, double budget) {
  return results.budget_unit == "flops" ? budget : budget * results.model(model).flops_per_step;
}

// (model, halting) -> budget -> cells.
using CellIndex = std::map<std::pair<std::string, bool>, std::map<double, std::vector<const Cell*>>>;

CellIndex index_cells(const SweepResults& results) {
  CellIndex index;
  for (const Cell& cell : results.cells) index[{cell.model, cell.halting}][cell.budget].push_back(&cell);
  return index;
}

json accuracy_fields(const Choice& choice, const std::string& prefix) {
  const analysis::Interval interval =
      analysis::wilson_interval(choice.cell->correct.at(choice.aggregator), choice.cell->puzzles);
  return {{prefix + "aggregator", choice.aggregator},
          {prefix + "accuracy", choice.cell->accuracy(choice.aggregator)},
          {prefix + "low", interval.low},
          {prefix + "high", interval.high}};
}

json paired_fields(const Choice& this_model, const Choice& reference) {
  if (this_model.cell == reference.cell || this_model.cell->puzzles != reference.cell->puzzles) {
    return {{"only_this", nullptr}, {"only_reference", nullptr}, {"p_value", nullptr}};
  }
  const PairedTest test = paired_test(*this_model.cell, this_model.aggregator, *reference.cell,
                                      reference.aggregator);
  return {{"only_this", test.only_a}, {"only_reference", test.only_b}, {"p_value", test.p_value}};
}

Table model_comparison_table() {
  return Table{"model_comparison", "Models at matched inference FLOPs per puzzle", {
      {"halting", "halting on"},
      {"matched_flops_per_puzzle", "the FLOP budget per puzzle the models are matched at"},
      {"model", "model name"},
      {"parameters", "parameter count"},
      {"budget", "this model's budget, in budget_unit"},
      {"nominal_flops_per_puzzle", "this budget in FLOPs per puzzle"},
      {"strategies", "strategies of the best cell"},
      {"width", "N of the best cell"},
      {"depth", "S of the best cell"},
      {"aggregator", "aggregator of the best cell"},
      {"accuracy", "its accuracy"},
      {"low", "Wilson 95% lower bound"},
      {"high", "Wilson 95% upper bound"},
      {"flops_per_puzzle", "FLOPs the best cell actually spent per puzzle"},
      {"reference_model", "the largest model at this budget"},
      {"only_this", "puzzles only this model's best cell solved"},
      {"only_reference", "puzzles only the reference model's best cell solved"},
      {"p_value", "exact two-sided McNemar p vs the reference"}}, {}};
}

// A (model, budget) of the sweep at its nominal FLOPs per puzzle.
struct BudgetEntry {
  double nominal;
  std::string model;
  double budget;
};

// Every (model, budget) of one halting mode, by nominal FLOPs per puzzle.
std::vector<BudgetEntry> budget_entries(const SweepResults& results, const CellIndex& index,
                                        bool halting) {
  std::vector<BudgetEntry> entries;
  for (const auto& [key, budgets] : index) {
    if (key.second != halting) continue;
    for (const auto& [budget, cells] : budgets) {
      entries.push_back({nominal_flops(results, key.first, budget), key.first, budget});
    }
  }
  std::sort(entries.begin(), entries.end(), [](const BudgetEntry& a, const BudgetEntry& b) {
    return std::tie(a.nominal, a.model) < std::tie(b.nominal, b.model);
  });
  return entries;
}

// The rows of one band of matched FLOPs (`members`, one per model, at least two): each model's
// best cell against the largest model's.
void add_band_rows(const SweepResults& results, const CellIndex& index, bool halting,
                   double matched, std::vector<const BudgetEntry*> members, Table& table) {
  // Smallest first; equal sizes keep the context's model order.
  const auto rank = [&](const BudgetEntry* entry) {
    std::size_t position = 0;
    while (results.models[position].name != entry->model) ++position;
    return std::make_pair(results.model(entry->model).parameters, position);
  };
  std::sort(members.begin(), members.end(),
            [&](const BudgetEntry* a, const BudgetEntry* b) { return rank(a) < rank(b); });
  const BudgetEntry* largest = members.back();
  const Choice reference = best_choice(index.at({largest->model, halting}).at(largest->budget));
  for (const BudgetEntry* member : members) {
    const Choice choice = best_choice(index.at({member->model, halting}).at(member->budget));
    json row = {{"halting", halting},
                {"matched_flops_per_puzzle", matched},
                {"model", member->model},
                {"parameters", results.model(member->model).parameters},
                {"budget", member->budget},
                {"nominal_flops_per_puzzle", member->nominal},
                {"strategies", join(choice.cell->strategies, "+")},
                {"width", choice.cell->width},
                {"depth", choice.cell->depth},
                {"flops_per_puzzle", choice.cell->flops_per_puzzle},
                {"reference_model", largest->model}};
    row.update(accuracy_fields(choice, ""));
    row.update(paired_fields(choice, reference));
    table.add(std::move(row));
  }
}

Table total_matched_table() {
  return Table{"total_matched", "Models at matched total compute (training + inference)", {
      {"halting", "halting on"},
      {"reference_model", "the largest model"},
      {"reference_budget", "its budget, in budget_unit"},
      {"reference_flops_per_puzzle", "that budget in inference FLOPs per puzzle"},
      {"reference_aggregator", "aggregator of its best cell"},
      {"reference_accuracy", "accuracy of its best cell"},
      {"reference_low", "Wilson 95% lower bound"},
      {"reference_high", "Wilson 95% upper bound"},
      {"model", "the smaller model"},
      {"matched_flops_per_puzzle",
       "inference FLOPs per puzzle giving it the same total compute (empty: no match)"},
      {"inference_multiplier", "matched_flops_per_puzzle / reference_flops_per_puzzle"},
      {"match", "matched; beyond sweep (the matched FLOPs exceed the sweep: a lower bound); or "
                "no match (this model's training alone costs more than the reference's training "
                "and inference)"},
      {"budget", "the largest budget of this model within the matched FLOPs"},
      {"nominal_flops_per_puzzle", "that budget in FLOPs per puzzle"},
      {"strategies", "strategies of the best cell"},
      {"width", "N of the best cell"},
      {"depth", "S of the best cell"},
      {"aggregator", "aggregator of the best cell"},
      {"accuracy", "its accuracy"},
      {"low", "Wilson 95% lower bound"},
      {"high", "Wilson 95% upper bound"},
      {"only_this", "puzzles only this model's best cell solved"},
      {"only_reference", "puzzles only the reference's best cell solved"},
      {"p_value", "exact two-sided McNemar p vs the reference"}}, {}};
}

// Why models cannot be compared at matched total compute (one model, or a model whose training
// FLOPs are unknown), or "" when they can.
std::string total_matching_skipped(const SweepResults& results) {
  if (results.models.size() < 2) return "one model in the sweep: no cross-model comparison";
  std::vector<std::string> missing;
  for (const ModelInfo& model : results.models) {
    if (!model.training_flops) missing.push_back(model.name);
  }
  if (missing.empty()) return "";
  return "total-compute matching skipped: no training FLOPs are known for " + join(missing, ", ") +
         " (neither a training record in the model file nor the sweep's training_flops; "
         "inference-matched comparison only)";
}

// A smaller model against the largest at one of the largest's budgets: the inference FLOPs per
// puzzle that give it the same training + inference compute, and its best cell within them.
// Training FLOPs are as the trainer counted them (every application of the recursion, forward
// and backward); inference is what the sweep counted, over the puzzle set. A model whose
// training alone costs more than the reference's training and inference has no match; the
// reason goes into `note`.
json total_matched_row(const SweepResults& results, const ModelInfo& largest,
                       const ModelInfo& model, bool halting, double reference_budget,
                       const std::vector<const Cell*>& reference_cells,
                       const std::map<double, std::vector<const Cell*>>& model_cells,
                       std::string& note) {
  const Choice reference = best_choice(reference_cells);
  const double reference_flops = nominal_flops(results, largest.name, reference_budget);
  const double matched = reference_flops + (*largest.training_flops - *model.training_flops) /
                                               static_cast<double>(results.puzzles);
  const bool matchable = matched > 0.0;
  json row = {{"halting", halting},
              {"reference_model", largest.name},
              {"reference_budget", reference_budget},
              {"reference_flops_per_puzzle", reference_flops},
              {"model", model.name},
              {"matched_flops_per_puzzle", matchable ? json(matched) : json(nullptr)},
              {"inference_multiplier", matchable ? json(matched / reference_flops) : json(nullptr)}};
  row.update(accuracy_fields(reference, "reference_"));
  // The model's largest budget within the matched FLOPs (a small tolerance for rounding).
  const std::vector<const Cell*>* chosen = nullptr;
  double chosen_budget = 0.0, chosen_flops = 0.0, largest_flops = 0.0;
  for (const auto& [budget, budget_cells] : model_cells) {
    const double flops = nominal_flops(results, model.name, budget);
    largest_flops = std::max(largest_flops, flops);
    if (matchable && flops <= matched * (1.0 + 1e-9)) {
      chosen = &budget_cells;
      chosen_budget = budget;
      chosen_flops = flops;
    }
  }
  row["match"] = !matchable ? "no match"
                 : matched <= largest_flops * (1.0 + kFlopMatchTolerance) ? "matched"
                                                                         : "beyond sweep";
  if (chosen != nullptr) {
    const Choice choice = best_choice(*chosen);
    row["budget"] = chosen_budget;
    row["nominal_flops_per_puzzle"] = chosen_flops;
    row["strategies"] = join(choice.cell->strategies, "+");
    row["width"] = choice.cell->width;
    row["depth"] = choice.cell->depth;
    row.update(accuracy_fields(choice, ""));
    row.update(paired_fields(choice, reference));
  }
  if (!matchable) {
    const std::string line = model.name + "'s training alone (" +
                             format_flops(*model.training_flops) + " FLOPs) exceeds " +
                             largest.name + "'s training (" + format_flops(*largest.training_flops) +
                             " FLOPs) plus its inference here, so no inference budget matches";
    if (note.find(line) == std::string::npos) note += (note.empty() ? "" : "; ") + line;
  }
  return row;
}

}  // namespace

void build_model_comparison(const SweepResults& results, ReportTables& tables) {
  Table& table = tables.model_comparison;
  table = model_comparison_table();
  if (results.models.size() < 2) {
    tables.model_comparison_note = "one model in the sweep: no cross-model comparison";
    return;
  }
  const CellIndex index = index_cells(results);
  for (const bool halting : {false, true}) {
    const std::vector<BudgetEntry> entries = budget_entries(results, index, halting);
    // Bands of budgets within kFlopMatchTolerance of the band's smallest.
    for (std::size_t start = 0; start < entries.size();) {
      std::size_t end = start;
      std::vector<const BudgetEntry*> members;  // one per model, the first (smallest) in the band
      std::set<std::string> models;
      while (end < entries.size() &&
             entries[end].nominal <= entries[start].nominal * (1.0 + kFlopMatchTolerance)) {
        if (models.insert(entries[end].model).second) members.push_back(&entries[end]);
        ++end;
      }
      if (members.size() >= 2) {
        add_band_rows(results, index, halting, entries[start].nominal, members, table);
      }
      start = end;
    }
  }
  if (table.rows.empty()) {
    tables.model_comparison_note =
        "no budget is shared by two models within 5% in FLOPs per puzzle" +
        std::string(results.budget_unit == "steps"
                        ? " (the sweep counts budgets in steps; sweep with budget_unit flops to match models)"
                        : "");
  }
}

void build_total_matched(const SweepResults& results, ReportTables& tables) {
  Table& table = tables.total_matched;
  table = total_matched_table();
  tables.total_matched_note = total_matching_skipped(results);
  if (!tables.total_matched_note.empty()) return;
  const ModelInfo* largest = &results.models.front();
  for (const ModelInfo& model : results.models) {
    if (model.parameters > largest->parameters) largest = &model;
  }
  const CellIndex index = index_cells(results);
  for (const bool halting : {false, true}) {
    const auto reference_cells = index.find({largest->name, halting});
    if (reference_cells == index.end()) continue;
    for (const ModelInfo& model : results.models) {
      if (&model == largest) continue;
      const auto model_cells = index.find({model.name, halting});
      if (model_cells == index.end()) continue;
      for (const auto& [reference_budget, cells] : reference_cells->second) {
        table.add(total_matched_row(results, *largest, model, halting, reference_budget, cells,
                                    model_cells->second, tables.total_matched_note));
      }
    }
  }
}

}  // namespace gram::report
