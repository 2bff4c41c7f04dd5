// report.md's first section, written from the findings table (findings.cpp): how the family was
// chosen, then per comparison a one-line summary of its verdicts (effects that did not appear are
// named as plainly as those that did) and one row per budget.
#include <map>
#include <vector>

#include "report/findings.h"
#include "report/markdown_format.h"

namespace gram::report {
namespace {

using nlohmann::json;

// "+12.5 points [4.1, 20.3]"
std::string difference_text(const json& row) {
  return format("%+.1f", 100.0 * row["difference"].get<double>()) + " points [" +
         format("%.1f", 100.0 * row["difference_low"].get<double>()) + ", " +
         format("%.1f", 100.0 * row["difference_high"].get<double>()) + "]";
}

std::string budget_of(const json& row) {
  return giga(row["flops_per_puzzle"]) + " GFLOP/puzzle" +
         (row["halting"].get<bool>() ? " (halting on)" : "");
}

// "A better at 3 of 4 budgets, B better at none; no significant difference at 1.0 GFLOP/puzzle
// (+1.5 points [-3.0, 6.1], p_holm 0.81)."
std::string summary(const std::vector<const json*>& rows) {
  std::map<std::string, int> counts;
  std::vector<std::string> null_results;
  for (const json* row : rows) {
    const std::string verdict = (*row)["verdict"].get<std::string>();
    ++counts[verdict];
    if (verdict == "no significant difference") {
      null_results.push_back(budget_of(*row) + " (" + difference_text(*row) + ", p_holm " +
                             p_value((*row)["p_holm"]) + ")");
    }
  }
  const std::string total = std::to_string(rows.size());
  std::string text = "A better at " + std::to_string(counts["A better"]) + " of " + total +
                     " budgets, B better at " + std::to_string(counts["B better"]);
  if (null_results.empty()) return text + "; every budget shows a significant difference.";
  return text + "; no significant difference at " + join(null_results, "; ") + ".";
}

}  // namespace

std::string findings_section(const ReportTables& tables) {
  std::string md = "## Findings\n\n";
  const Table& table = tables.findings;
  if (table.rows.empty()) {
    return md + "No comparison could be tested: " + tables.findings_note +
           ", and no budget holds cells for both sides of any of them.\n\n";
  }
  md += "Tested here: " + tables.findings_note + ". Each is tested at every budget both sides "
        "reach, on the same puzzles: " + std::to_string(table.rows.size()) +
        " paired tests in all, Holm-adjusted together (family-wise error 5%). A - B is the "
        "difference in accuracy with Newcombe's 95% interval for paired proportions; p is "
        "McNemar's exact test; sides of different models are paired at matched inference FLOPs "
        "per puzzle.\n\n";
  std::vector<std::string> order;
  std::map<std::string, std::vector<const json*>> by_comparison;
  for (const json& row : table.rows) {
    const std::string comparison = row["comparison"].get<std::string>();
    if (!by_comparison.count(comparison)) order.push_back(comparison);
    by_comparison[comparison].push_back(&row);
  }
  for (const std::string& comparison : order) {
    const auto& rows = by_comparison[comparison];
    md += "### " + code(comparison) + "\n\n" + summary(rows) + "\n\n";
    md += table_header({"budget", "A cell", "B cell", "A", "B", "A - B [95%]", "only A / only B",
                        "p", "p (Holm)", "verdict"});
    for (const json* row : rows) {
      md += table_row({budget_of(*row), text((*row)["a_cell"]), text((*row)["b_cell"]),
                       percent((*row)["a_accuracy"]), percent((*row)["b_accuracy"]),
                       difference_text(*row),
                       text((*row)["only_a"]) + " / " + text((*row)["only_b"]),
                       p_value((*row)["p_value"]), p_value((*row)["p_holm"]),
                       text((*row)["verdict"])});
    }
    md += "\n";
  }
  return md;
}

}  // namespace gram::report
