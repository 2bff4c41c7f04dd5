#include "report/markdown.h"

#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "report/findings.h"
#include "report/markdown_format.h"
#include "report/sweep_results.h"

namespace gram::report {

namespace {

using nlohmann::json;

std::string context_section(const MarkdownInputs& inputs) {
  const ReportTables& tables = *inputs.tables;
  std::string md = "## Context\n\n";
  for (const json& run : tables.runs.rows) {
    md += "Sweep `" + text(run["directory"]) + "`: commit `" + text(run["commit"]) + "`, host " +
          text(run["host"]) + " (" + text(run["cores"]) + " cores), backend " +
          text(run["backend"]) + ", build " + text(run["build_type"]) + " (" +
          text(run["compiler"]) + "), started " + text(run["start_time"]) + ". Task " +
          text(run["task"]) + ", " + text(run["puzzles"]) + " puzzles from `" +
          text(run["puzzles_file"]) + "`, seed " + text(run["seed"]) + ", budgets in " +
          text(run["budget_unit"]) + " per puzzle. Peak: " +
          (run["peak_gflops_per_s"].is_null() ? std::string("not given")
                                              : number(run["peak_gflops_per_s"], "%.4g") +
                                                    " GFLOP/s (" + text(run["peak_source"]) + ")") +
          ".\n";
    if (run["torn_lines"].get<std::size_t>() > 0) {
      md += "Its cells.jsonl ends in an unfinished line (an interrupted sweep), set aside.\n";
    }
    if (run["other_records"].get<std::size_t>() > 0) {
      md += text(run["other_records"]) + " records of other types were ignored.\n";
    }
    md += "Command: `" + text(run["command_line"]) + "`\n\n";
  }
  md += table_header({"model", "checkpoint", "parameters", "FLOPs/application", "FLOPs/step",
                      "training FLOPs"});
  for (const json& model : tables.models.rows) {
    md += table_row({text(model["model"]), code(text(model["path"])), text(model["parameters"]),
                     number(model["flops_per_application"]), number(model["flops_per_step"]),
                     model["training_flops"].is_null()
                         ? "not known"
                         : number(model["training_flops"]) + " (" + text(model["training_source"]) + ")"});
  }
  const json& report = inputs.report_context;
  md += "\nReport built by gram `" + report.value("commit", std::string("?")) + "` on " +
        report.value("host", std::string("?")) + " at " + report.value("start_time", std::string("?")) +
        " (" + code(report.value("command_line", std::string("?"))) + "); plotting Python: " + inputs.figures->python.path + " (" +
        (inputs.figures->python.source == "GRAM_PYTHON" ? "GRAM_PYTHON=" + inputs.figures->python.path
                                                        : std::string("default; GRAM_PYTHON not set")) +
        ").\n\n";
  return md;
}

// "45.2% [40.1, 50.3]" from row[key] and row[key + "_low" / "_high"] (no interval if absent).
std::string interval_text(const json& row, const std::string& key) {
  std::string cell = percent(row[key]);
  if (row.contains(key + "_low") && !row[key + "_low"].is_null()) {
    cell += " [" + format("%.1f", 100.0 * row[key + "_low"].get<double>()) + ", " +
            format("%.1f", 100.0 * row[key + "_high"].get<double>()) + "]";
  }
  return cell;
}

// Multi-solution tasks: how many of each instance's solutions the models find as width grows,
// against what one answer per puzzle (a deterministic model, at any width) can cover.
std::string coverage_section(const ReportTables& tables) {
  std::vector<const json*> rows;
  for (const json& row : tables.iso_budget.rows) {
    if (!row["coverage"].is_null() && row["halting"] == false &&
        row["strategies"].get<std::string>().find("width") != std::string::npos) {
      rows.push_back(&row);
    }
  }
  if (rows.empty()) return "";
  std::string md = "## Coverage of multi-solution instances\n\nThe width cells of each model: "
                   "coverage@N (distinct valid completions found / all completions of the "
                   "instance, averaged over puzzles, with Student's t 95% interval over puzzles), "
                   "and the oracle accuracy (any valid completion found). ";
  if (!(*rows.front())["coverage_one_answer_ceiling"].is_null()) {
    md += "One answer per puzzle, which is all a deterministic model gives at any width, can "
          "cover at most " + percent((*rows.front())["coverage_one_answer_ceiling"]) +
          " of these puzzles' completions (the mean of 1 / solutions, computed exactly).";
  }
  md += "\n\n" + table_header({"model", "N x S", "coverage [95%]", "oracle"});
  for (const json* row : rows) {
    md += table_row({text((*row)["model"]), text((*row)["width"]) + "x" + text((*row)["depth"]),
                     interval_text(*row, "coverage"), percent((*row)["oracle_accuracy"])});
  }
  return md + "\n";
}

std::string iso_budget_section(const ReportTables& tables) {
  std::string md =
      "## Iso-budget comparisons\n\nAt each budget, every cell that spends it: accuracy per "
      "aggregator as solved/puzzles, percent and [Wilson 95% interval]; pass@1 (the mean "
      "single-trajectory accuracy over the run's trajectories, with a 95% interval clustered by "
      "puzzle, since a puzzle's trajectories are not independent) and pass@k (k = N); applications and GFLOP actually executed per puzzle. McNemar compares the best "
      "width (grid) cell with the depth cell on the same puzzles.\n\n";
  if (tables.iso_budget.rows.empty()) return md + "No cells.\n\n";
  bool any_coverage = false;
  std::set<std::string> present;
  for (const json& row : tables.iso_budget.rows) {
    any_coverage = any_coverage || !row["coverage"].is_null();
    for (const std::string& aggregator : aggregator_order()) {
      if (!row[aggregator + "_accuracy"].is_null()) present.insert(aggregator);
    }
  }
  std::vector<std::string> aggregators;
  for (const std::string& aggregator : aggregator_order()) {
    if (present.count(aggregator)) aggregators.push_back(aggregator);
  }
  std::vector<std::string> headers{"strategies", "N x S", "derived"};
  headers.insert(headers.end(), aggregators.begin(), aggregators.end());
  headers.insert(headers.end(), {"pass@1", "pass@k"});
  if (any_coverage) headers.push_back("coverage");
  headers.insert(headers.end(), {"applications/puzzle", "GFLOP/puzzle"});

  const auto group_of = [](const json& row) {
    return std::make_tuple(row["model"].get<std::string>(), row["halting"].get<bool>(),
                           row["budget"].get<double>());
  };
  for (std::size_t i = 0; i < tables.iso_budget.rows.size();) {
    const auto group = group_of(tables.iso_budget.rows[i]);
    const json& first = tables.iso_budget.rows[i];
    md += "### " + text(first["model"]) + ", " + halting_text(first["halting"]) + ", " +
          budget_text(first["budget"], first["budget_unit"].get<std::string>()) + "\n\n";
    md += table_header(headers);
    for (; i < tables.iso_budget.rows.size() && group_of(tables.iso_budget.rows[i]) == group; ++i) {
      const json& row = tables.iso_budget.rows[i];
      std::vector<std::string> cells{text(row["strategies"]),
                                     text(row["width"]) + "x" + text(row["depth"]),
                                     text(row["derived"])};
      for (const std::string& aggregator : aggregators) {
        cells.push_back(accuracy_cell(row, aggregator + "_", true));
      }
      std::string pass_at_1 = percent(row["pass_at_1"]);
      if (!row["pass_at_1_low"].is_null()) {
        pass_at_1 += " [" + format("%.1f", 100.0 * row["pass_at_1_low"].get<double>()) + ", " +
                     format("%.1f", 100.0 * row["pass_at_1_high"].get<double>()) + "]";
      }
      cells.insert(cells.end(), {pass_at_1, percent(row["pass_at_k"])});
      if (any_coverage) cells.push_back(interval_text(row, "coverage"));
      cells.insert(cells.end(), {number(row["applications_per_puzzle"], "%.4g"),
                                 giga(row["flops_per_puzzle"])});
      md += table_row(cells);
    }
    md += "\n";
    for (const json& test : tables.iso_budget_mcnemar.rows) {
      if (group_of(test) != group) continue;
      md += "- McNemar, " + text(test["comparison"]) + " (" + text(test["aggregator"]) + "): " +
            text(test["a_cell"]) + " " + percent(test["a_accuracy"]) + " vs " + text(test["b_cell"]) +
            " " + percent(test["b_accuracy"]) + "; solved only by " + text(test["a_cell"]) + ": " +
            text(test["only_a"]) + ", only by " + text(test["b_cell"]) + ": " + text(test["only_b"]) +
            "; exact p = " + p_value(test["p_value"]) + "\n";
    }
    md += "\n";
  }
  return md;
}

std::string model_section(const ReportTables& tables) {
  std::string md = "## Small-wide vs large-narrow at equal FLOPs\n\n";
  md += "### Inference-matched\n\nAt each FLOP budget per puzzle shared by several models (within "
        "5%), each model's best cell and aggregator, with McNemar against the largest model's best "
        "cell on the same puzzles.\n\n";
  if (tables.model_comparison.rows.empty()) {
    md += tables.model_comparison_note + ".\n\n";
  } else {
    md += table_header({"halting", "matched GFLOP/puzzle", "model", "parameters", "budget",
                        "best cell", "aggregator", "accuracy [95%]", "GFLOP spent/puzzle",
                        "vs", "only this", "only reference", "McNemar p"});
    for (const json& row : tables.model_comparison.rows) {
      md += table_row({halting_text(row["halting"]), giga(row["matched_flops_per_puzzle"]),
                       text(row["model"]), text(row["parameters"]), number(row["budget"], "%g"),
                       text(row["strategies"]) + " " + text(row["width"]) + "x" + text(row["depth"]),
                       text(row["aggregator"]), accuracy_cell(row, "", false),
                       giga(row["flops_per_puzzle"]), text(row["reference_model"]),
                       text(row["only_this"]), text(row["only_reference"]), p_value(row["p_value"])});
    }
    md += "\n";
  }
  md += "### Total-matched\n\nTraining (the FLOPs the trainer counted over every application of "
        "the recursion, forward and backward) plus inference over this puzzle set matched "
        "(science.md s3's exchange rate in FLOPs): the smaller model's best cell within the "
        "inference FLOPs that give it the reference's total compute. \"no match\": the smaller "
        "model's training alone costs more than the reference's training and inference, so no "
        "inference budget gives them equal compute.\n\n";
  if (tables.total_matched.rows.empty()) {
    md += (tables.total_matched_note.empty() ? std::string("no rows") : tables.total_matched_note) +
          ".\n\n";
    return md;
  }
  if (!tables.total_matched_note.empty()) md += tables.total_matched_note + ".\n\n";
  md += table_header({"halting", "reference", "reference budget", "reference accuracy [95%]",
                      "model", "matched GFLOP/puzzle", "multiplier", "budget used", "best cell",
                      "accuracy [95%]", "McNemar p"});
  for (const json& row : tables.total_matched.rows) {
    std::string budget = number(row["budget"], "%g");
    if (row["match"] == "beyond sweep") budget += " (beyond sweep: lower bound)";
    if (row["match"] == "no match") budget = "no match";
    md += table_row({halting_text(row["halting"]), text(row["reference_model"]),
                     number(row["reference_budget"], "%g"), accuracy_cell(row, "reference_", false),
                     text(row["model"]),
                     row["match"] == "no match" ? "no match" : giga(row["matched_flops_per_puzzle"]),
                     row["match"] == "no match" ? "no match" : number(row["inference_multiplier"]),
                     budget,
                     row["width"].is_null() ? "–"
                                            : text(row["strategies"]) + " " + text(row["width"]) +
                                                  "x" + text(row["depth"]),
                     accuracy_cell(row, "", false), p_value(row["p_value"])});
  }
  return md + "\n";
}

std::string latency_section(const ReportTables& tables) {
  std::string md = "## Latency and throughput\n\nCells that were run (derived cells have no "
                   "timing of their own). Times per puzzle from its first trajectory's start, in "
                   "seconds.\n\n";
  if (tables.latency.rows.empty()) return md + "No measured cells.\n\n";
  md += table_header({"model", "halting", "budget", "strategies", "N x S", "first answer p50/p90/p99 s",
                      "decision p50/p90/p99 s", "puzzles/s", "trajectories/s", "applications/s",
                      "GFLOP/s", "of peak"});
  for (const json& row : tables.latency.rows) {
    md += table_row({text(row["model"]), halting_text(row["halting"]), number(row["budget"], "%g"),
                     text(row["strategies"]), text(row["width"]) + "x" + text(row["depth"]),
                     number(row["first_answer_p50_s"]) + " / " + number(row["first_answer_p90_s"]) +
                         " / " + number(row["first_answer_p99_s"]),
                     number(row["decision_p50_s"]) + " / " + number(row["decision_p90_s"]) + " / " +
                         number(row["decision_p99_s"]),
                     number(row["puzzles_per_s"], "%.4g"), number(row["trajectories_per_s"], "%.4g"),
                     number(row["applications_per_s"], "%.4g"), number(row["gflops_per_s"], "%.4g"),
                     percent(row["fraction_of_peak"])});
  }
  return md + "\n";
}

std::string entropy_section(const ReportTables& tables) {
  std::string md = "## Answer entropy by depth\n\n";
  if (tables.entropy.rows.empty()) return md + "No entropy records.\n\n";
  md += "Mean over puzzles of the entropy (bits) of the answers across N trajectories after each "
        "supervision step; the full curves are in tables/entropy.csv.\n\n";
  md += table_header({"model", "halting", "run", "N", "steps", "step 1", "last step", "max (step)"});
  using Key = std::tuple<std::string, bool, std::string, std::int64_t>;
  std::vector<Key> order;
  std::map<Key, std::vector<const json*>> curves;
  for (const json& row : tables.entropy.rows) {
    const Key key{row["model"], row["halting"], row["source_run"], row["width"]};
    if (!curves.count(key)) order.push_back(key);
    curves[key].push_back(&row);
  }
  for (const Key& key : order) {
    const std::vector<const json*>& points = curves[key];
    const json* peak = points.front();
    for (const json* point : points) {
      if ((*point)["entropy_bits"].get<double>() > (*peak)["entropy_bits"].get<double>()) peak = point;
    }
    md += table_row({std::get<0>(key), std::get<1>(key) ? "on" : "off", std::get<2>(key),
                     std::to_string(std::get<3>(key)), std::to_string(points.size()),
                     number((*points.front())["entropy_bits"]), number((*points.back())["entropy_bits"]),
                     number((*peak)["entropy_bits"]) + " (" + text((*peak)["step"]) + ")"});
  }
  return md + "\n";
}

std::string adaptive_section(const ReportTables& tables) {
  if (tables.adaptive.rows.empty()) return "";
  std::string md =
      "## Adaptive compute\n\nAdaptive policies replayed on the recorded trajectories of a "
      "width run N x S (each puzzle draws a prefix of the uniform run's trajectories, so nothing "
      "is rerun): trajectories per puzzle actually drawn (mean, p50, p90), the saving in "
      "applications against the uniform N x S cell, accuracy [Wilson 95%], and McNemar on the "
      "same puzzles against the uniform cell at the nearest not smaller compute (w x S, any "
      "whole w) and against N x S. Latent searches (smc, beam) are runs of their own: R rows per "
      "puzzle, every row running every step, compared with the sweep's uniform cells at the same "
      "depth (the nearest not smaller compute, and the widest); their state copies are not "
      "counted as compute.\n\n";
  md += table_header({"model", "run", "policy", "settings", "aggregator",
                      "trajectories/puzzle mean, p50, p90", "saving vs uniform N", "accuracy [95%]",
                      "uniform at matched compute", "McNemar p", "uniform N", "p vs uniform N"});
  for (const json& row : tables.adaptive.rows) {
    md += table_row(
        {text(row["model"]) + (row["halting"].get<bool>() ? " (halting)" : ""),
         text(row["max_width"]) + "x" + text(row["depth"]), text(row["policy"]),
         code(text(row["settings"])), text(row["aggregator"]),
         number(row["trajectories_mean"], "%.2f") + ", " + number(row["trajectories_p50"], "%g") +
             ", " + number(row["trajectories_p90"], "%g"),
         // A search is a run of its own, not a share of a wider one: nothing was saved.
         row["kind"] == "search" ? std::string("-") : percent(row["saving"]),
         accuracy_cell(row, "", true),
         text(row["matched_width"]) + "x" + text(row["depth"]) + " " +
             percent(row["matched_accuracy"]) + " (+" + text(row["matched_only_policy"]) + " -" +
             text(row["matched_only_uniform"]) + ")",
         p_value(row["matched_p_value"]),
         text(row["full_width"]) + "x" + text(row["depth"]) + " " + percent(row["full_accuracy"]),
         p_value(row["full_p_value"])});
  }
  return md + "\n(+a -b: puzzles solved only by the policy, only by the uniform cell.)\n\n";
}

// What a sampler buys a model (most often a deterministic one): its width cells under each
// setting against the unperturbed model's depth at the same budget, and where it collapses.
std::string sampler_section(const ReportTables& tables) {
  if (tables.samplers.rows.empty()) return "";
  std::string md =
      "## Samplers: width for a deterministic model\n\nEach sampler setting ran as a model of "
      "its own (`<model>+noise<scale>`, `<model>+dropout<rate>`; the unperturbed model is "
      "`none`). A sampler adds no FLOPs, so at each budget the width cell N x S of every setting "
      "spends what the unperturbed model's depth cell 1 x S' spends (S' = N x S). Per row: "
      "pass@1, pass@k (k = N), majority, best-of-n (on the verifier's score where a verifier is "
      "attached, else the value head's), oracle, the answer entropy after step S (bits, across "
      "the variant's entropy run), the depth cell's accuracy and McNemar width vs depth on the "
      "comparison's aggregator (p Holm-adjusted over the table), and best-of-n against "
      "majority on the same trajectories (+a -b: puzzles only best-of-n, only majority "
      "solved).\n\n";
  md += table_header({"model", "sampler", "budget", "N x S", "pass@1", "pass@k", "majority",
                      "best-of-n", "oracle", "entropy (bits)", "depth alone", "width vs depth p",
                      "best-of-n vs majority"});
  for (const json& row : tables.samplers.rows) {
    const std::string sampler =
        row["sampler"] == "none" ? std::string("none")
                                 : text(row["sampler"]) + " " + number(row["setting"], "%g");
    const std::string depth =
        row["depth_accuracy"].is_null()
            ? std::string("-")
            : text(row["depth_width"]) + "x" + text(row["depth_depth"]) + " " +
                  percent(row["depth_accuracy"]) + " (+" + text(row["only_width"]) + " -" +
                  text(row["only_depth"]) + ")";
    const std::string versus =
        row["best_of_n_p_value"].is_null()
            ? std::string("-")
            : "+" + text(row["only_best_of_n"]) + " -" + text(row["only_majority"]) + ", p " +
                  p_value(row["best_of_n_p_value"]);
    md += table_row({text(row["model"]) + (row["halting"].get<bool>() ? " (halting)" : ""),
                     sampler, text(row["budget"]),
                     text(row["width"]) + "x" + text(row["depth"]), percent(row["pass_at_1"]),
                     percent(row["pass_at_k"]), percent(row["majority_accuracy"]),
                     percent(row["best_of_n_accuracy"]), percent(row["oracle_accuracy"]),
                     row["entropy_bits"].is_null() ? "-" : number(row["entropy_bits"]), depth,
                     row["p_holm"].is_null() ? "-" : p_value(row["p_holm"]), versus});
  }
  md += "\n(+a -b after the depth cell: puzzles solved only by the width cell, only by the depth "
        "cell.)\n\n";
  for (const json& row : tables.sampler_collapse.rows) {
    md += "- " + text(row["model"]) + ", " + text(row["sampler"]) + " (budget " +
          text(row["budget"]) + ", " + halting_text(row["halting"]) + "): unperturbed pass@1 " +
          percent(row["unperturbed_pass_at_1"]) + "; " +
          (row["collapse_setting"].is_null()
               ? "no collapse up to " + number(row["largest_setting"], "%g") +
                     " (pass@1 never fell below half of it)"
               : "collapses at " + number(row["collapse_setting"], "%g") + " (pass@1 " +
                     percent(row["collapse_pass_at_1"]) + ", below half)") +
          ".\n";
  }
  return md + "\n";
}

std::string derived_section(const ReportTables& tables) {
  std::string md = "## Derived cells\n\n";
  if (tables.derived.rows.empty()) return md + "No cell was derived: every cell was run.\n\n";
  std::vector<std::string> parts;
  for (const json& row : tables.derived.rows) {
    parts.push_back(text(row["cells"]) + " (" + text(row["model"]) + ", " +
                    halting_text(row["halting"]) + ") from run " + text(row["source_run"]));
  }
  return md + "Cells derived by taking prefixes (the first N trajectories, the first S steps) of a "
              "run: " + join(parts, "; ") + ". All other cells were run.\n\n";
}

std::string figures_section(const FigureResult& figures) {
  std::string md = "## Figures\n\n";
  if (!figures.skipped_reason.empty()) return md + "figures skipped: " + figures.skipped_reason + "\n";
  for (const std::string& name : figures.written) md += "![" + name + "](figures/" + name + ")\n\n";
  for (const std::string& note : figures.notes) md += "- " + note + "\n";
  if (figures.written.empty() && figures.notes.empty()) md += "No figures.\n";
  return md;
}

}  // namespace

std::string render_markdown(const MarkdownInputs& inputs) {
  const ReportTables& tables = *inputs.tables;
  std::string md = "# Sweep report\n\nEvery number below is also in tables/*.csv and "
                   "tables/*.json (docs/reports.md explains each column).\n\n";
  md += findings_section(tables);
  md += coverage_section(tables);
  md += context_section(inputs);
  md += iso_budget_section(tables);
  md += model_section(tables);
  md += latency_section(tables);
  md += entropy_section(tables);
  md += adaptive_section(tables);
  md += sampler_section(tables);
  md += derived_section(tables);
  md += figures_section(*inputs.figures);
  return md;
}

}  // namespace gram::report
