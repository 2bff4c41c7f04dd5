// The "samplers" and "sampler_collapse" tables: what injected noise and MC dropout buy a model
// (engine/sampler.h), from the sweep's sampler variants of each model (`samplers`).
//
// For each variant and budget: its width cell (N x fixed S) with pass@1, pass@k, the votes,
// the verifier's best-of-n, the oracle, coverage and the answer entropy at step S; against the
// unperturbed model's depth cell at the same budget (all of it in depth: equal FLOPs, since a
// sampler adds no FLOPs), paired on the same puzzles with McNemar, Holm-adjusted over the
// table; and the verifier's best-of-n against the majority vote of the same trajectories.
// The collapse table gives, per model and sampler kind, the smallest setting at which pass@1
// falls below half the unperturbed model's (GRAM: noise helps, then too much of it ends the
// reasoning).
#include <algorithm>
#include <map>
#include <tuple>

#include "analysis/inference.h"
#include "report/tables.h"

namespace gram::report {
namespace {

using nlohmann::json;

const ModelInfo* unperturbed(const SweepResults& results, const std::string& base) {
  for (const ModelInfo& model : results.models) {
    if (model.base == base && model.sampler_kind == "none") return &model;
  }
  return nullptr;
}

const Cell* find_cell(const SweepResults& results, const std::string& model, bool halting,
                      double budget, const std::string& strategy) {
  for (const Cell& cell : results.cells) {
    if (cell.model == model && cell.halting == halting && cell.budget == budget &&
        cell.serves(strategy)) {
      return &cell;
    }
  }
  return nullptr;
}

// Mean answer entropy after step `step` of the model's entropy curve, with the curve's width.
std::pair<json, json> entropy_at(const SweepResults& results, const std::string& model,
                                 bool halting, std::int64_t step) {
  for (const EntropyCurve& curve : results.entropy) {
    if (curve.model == model && curve.halting == halting && step >= 1 &&
        step <= static_cast<std::int64_t>(curve.entropy_bits.size())) {
      return {curve.entropy_bits[step - 1], curve.width};
    }
  }
  return {nullptr, nullptr};
}

json accuracy_or_null(const Cell& cell, const std::string& aggregator) {
  return cell.correct.count(aggregator) ? json(cell.accuracy(aggregator)) : json(nullptr);
}

json optional_json(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

void build_collapse(const std::vector<json>& rows, Table& table) {
  // (base, kind, halting) -> the largest budget holding the unperturbed row and a setting.
  using Key = std::tuple<std::string, std::string, bool>;
  std::map<Key, double> budget;
  std::map<std::tuple<std::string, bool, double>, double> unperturbed_pass;
  for (const json& row : rows) {
    if (row["sampler"] == "none" && !row["pass_at_1"].is_null()) {
      unperturbed_pass[{row["model"], row["halting"], row["budget"]}] = row["pass_at_1"];
    }
  }
  for (const json& row : rows) {
    if (row["sampler"] == "none" || row["pass_at_1"].is_null()) continue;
    if (!unperturbed_pass.count({row["model"], row["halting"], row["budget"]})) continue;
    const Key key{row["model"], row["sampler"], row["halting"]};
    budget[key] = std::max(budget.count(key) ? budget[key] : 0.0, row["budget"].get<double>());
  }
  for (const auto& [key, at] : budget) {
    const auto& [base, kind, halting] = key;
    const double reference = unperturbed_pass.at({base, halting, at});
    std::vector<const json*> settings;
    for (const json& row : rows) {
      if (row["model"] == base && row["sampler"] == kind && row["halting"] == halting &&
          row["budget"] == at && !row["pass_at_1"].is_null()) {
        settings.push_back(&row);
      }
    }
    std::sort(settings.begin(), settings.end(), [](const json* a, const json* b) {
      return (*a)["setting"].get<double>() < (*b)["setting"].get<double>();
    });
    const json* collapse = nullptr;
    for (const json* row : settings) {
      if ((*row)["pass_at_1"].get<double>() < 0.5 * reference) {
        collapse = row;
        break;
      }
    }
    table.add({{"model", base},
               {"sampler", kind},
               {"halting", halting},
               {"budget", at},
               {"unperturbed_pass_at_1", reference},
               {"settings_tested", settings.size()},
               {"largest_setting", (*settings.back())["setting"]},
               {"collapse_setting", collapse ? (*collapse)["setting"] : json(nullptr)},
               {"collapse_pass_at_1", collapse ? (*collapse)["pass_at_1"] : json(nullptr)}});
  }
}

Table sampler_table() {
  return Table{"samplers", "Samplers: width for a model against its depth at equal FLOPs", {
      {"model", "the model of `models` (base of the variants)"},
      {"variant", "the sweep model: base, or base+<sampler><setting>"},
      {"sampler", "none, noise or dropout"},
      {"setting", "noise scale or dropout rate (0 for none)"},
      {"halting", "halting mode"},
      {"budget", "per-puzzle budget, in the sweep's unit"},
      {"flops_per_puzzle", "the width cell's FLOPs per puzzle"},
      {"width", "N of the width cell"},
      {"depth", "S of the width cell"},
      {"pass_at_1", "mean single-trajectory accuracy"},
      {"pass_at_k", "unbiased pass@N"},
      {"majority_accuracy", "majority vote over the N answers"},
      {"best_of_n_accuracy", "highest value score (the verifier's, where one is attached)"},
      {"oracle_accuracy", "any right answer among the N"},
      {"coverage", "coverage@N (multi-solution tasks)"},
      {"entropy_bits", "answer entropy across the variant's entropy run after step S"},
      {"entropy_width", "trajectories of that entropy run"},
      {"aggregator", "aggregator of the width-vs-depth comparison"},
      {"width_accuracy", "the width cell's accuracy on it"},
      {"depth_width", "N of the unperturbed model's depth cell (1)"},
      {"depth_depth", "S of the unperturbed model's depth cell at this budget"},
      {"depth_accuracy", "its accuracy"},
      {"only_width", "puzzles only the width cell solved"},
      {"only_depth", "puzzles only the depth cell solved"},
      {"p_value", "McNemar exact p, width vs depth"},
      {"p_holm", "p_value Holm-adjusted over the table's rows"},
      {"only_best_of_n", "puzzles best-of-n solved and majority did not (same trajectories)"},
      {"only_majority", "puzzles majority solved and best-of-n did not"},
      {"best_of_n_p_value", "McNemar exact p, best-of-n vs majority"}}, {}};
}

Table collapse_table() {
  return Table{"sampler_collapse", "Where each sampler's accuracy collapses", {
      {"model", "the model of `models`"},
      {"sampler", "noise or dropout"},
      {"halting", "halting mode"},
      {"budget", "the largest budget where the unperturbed model and this sampler both have a width cell"},
      {"unperturbed_pass_at_1", "pass@1 of the unperturbed model's width cell there"},
      {"settings_tested", "settings of this sampler at that budget"},
      {"largest_setting", "the largest setting tested"},
      {"collapse_setting", "the smallest setting whose pass@1 is below half the unperturbed one (empty: none)"},
      {"collapse_pass_at_1", "its pass@1"}}, {}};
}

// One width cell of a sampler variant: its figures, against the unperturbed model's depth cell
// at the same budget (`plain`, null when the sweep has none) and best-of-n against the vote.
json sampler_row(const SweepResults& results, const ModelInfo& model, const ModelInfo* plain,
                 const Cell& cell) {
  json row = {{"model", model.base},
              {"variant", model.name},
              {"sampler", model.sampler_kind},
              {"setting", model.sampler_value},
              {"halting", cell.halting},
              {"budget", cell.budget},
              {"flops_per_puzzle", cell.flops_per_puzzle},
              {"width", cell.width},
              {"depth", cell.depth},
              {"pass_at_1", optional_json(cell.pass_at_1)},
              {"pass_at_k", optional_json(cell.pass_at_k)},
              {"majority_accuracy", accuracy_or_null(cell, "majority")},
              {"best_of_n_accuracy", accuracy_or_null(cell, "best_of_n")},
              {"oracle_accuracy", accuracy_or_null(cell, "oracle")},
              {"coverage", optional_json(cell.coverage)}};
  const auto [entropy, entropy_width] = entropy_at(results, model.name, cell.halting, cell.depth);
  row["entropy_bits"] = entropy;
  row["entropy_width"] = entropy_width;
  const Cell* depth =
      plain ? find_cell(results, plain->name, cell.halting, cell.budget, "depth") : nullptr;
  const std::string aggregator =
      depth ? ranking_aggregator({&cell, depth}) : ranking_aggregator({&cell});
  row["aggregator"] = aggregator;
  row["width_accuracy"] = aggregator.empty() ? json(nullptr) : json(cell.accuracy(aggregator));
  for (const char* key : {"depth_width", "depth_depth", "depth_accuracy", "only_width",
                          "only_depth", "p_value", "p_holm"}) {
    row[key] = nullptr;
  }
  if (depth && !aggregator.empty() && depth != &cell) {
    const PairedTest test = paired_test(cell, aggregator, *depth, aggregator);
    row["depth_width"] = depth->width;
    row["depth_depth"] = depth->depth;
    row["depth_accuracy"] = depth->accuracy(aggregator);
    row["only_width"] = test.only_a;
    row["only_depth"] = test.only_b;
    row["p_value"] = test.p_value;
  }
  row["only_best_of_n"] = row["only_majority"] = row["best_of_n_p_value"] = nullptr;
  if (cell.correct.count("best_of_n") && cell.correct.count("majority")) {
    const PairedTest test = paired_test(cell, "best_of_n", cell, "majority");
    row["only_best_of_n"] = test.only_a;
    row["only_majority"] = test.only_b;
    row["best_of_n_p_value"] = test.p_value;
  }
  return row;
}

// Per model (context order), halting, budget, then none, noise, dropout by setting; p_holm over
// the rows' width-against-depth tests.
void sort_and_adjust(const SweepResults& results, std::vector<json>& rows) {
  auto rank = [&](const json& row) {
    const auto model = std::find_if(results.models.begin(), results.models.end(),
                                    [&](const ModelInfo& m) { return m.base == row["model"]; });
    const std::string kind = row["sampler"];
    return std::make_tuple(model - results.models.begin(), row["halting"].get<bool>(),
                           row["budget"].get<double>(), kind == "none" ? 0 : kind == "noise" ? 1 : 2,
                           row["setting"].get<double>());
  };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const json& a, const json& b) { return rank(a) < rank(b); });
  std::vector<double> p_values;
  for (const json& row : rows) {
    if (!row["p_value"].is_null()) p_values.push_back(row["p_value"]);
  }
  const std::vector<double> adjusted = analysis::holm_adjust(p_values);
  std::size_t next = 0;
  for (json& row : rows) {
    if (!row["p_value"].is_null()) row["p_holm"] = adjusted[next++];
  }
}

}  // namespace

void build_sampler_tables(const SweepResults& results, ReportTables& tables) {
  Table table = sampler_table();
  std::vector<json> rows;
  for (const ModelInfo& model : results.models) {
    const bool has_variants =
        std::any_of(results.models.begin(), results.models.end(), [&](const ModelInfo& other) {
          return other.base == model.base && other.sampler_kind != "none";
        });
    if (!has_variants) continue;
    const ModelInfo* plain = unperturbed(results, model.base);
    for (const Cell& cell : results.cells) {
      if (cell.model != model.name || !cell.serves("width")) continue;
      rows.push_back(sampler_row(results, model, plain, cell));
    }
  }
  sort_and_adjust(results, rows);
  Table collapse = collapse_table();
  build_collapse(rows, collapse);
  for (json& row : rows) table.add(std::move(row));
  tables.samplers = std::move(table);
  tables.sampler_collapse = std::move(collapse);
}

}  // namespace gram::report
