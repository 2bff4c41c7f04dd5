#pragma once
// The tables of a sweep report, built as data (report/table.h) from the typed sweep records.
// docs/reports.md explains every column. The Markdown renderer and the plotting script read
// these rows and nothing else.
#include <optional>
#include <string>
#include <vector>

#include "report/sweep_results.h"
#include "report/table.h"

namespace gram::report {

struct TableOptions {
  // --peak-gflops: replaces the peak of every context record for "fraction of peak".
  std::optional<double> peak_gflops;
};

struct ReportTables {
  Table runs;                // one row per input directory: its context block
  Table models;              // one row per model
  Table iso_budget;          // one row per cell
  Table iso_budget_mcnemar;  // best width (grid) cell vs the depth cell at each budget
  Table model_comparison;    // models' best cells at matched inference FLOPs
  Table total_matched;       // the same at matched total (training + inference) FLOPs
  Table latency;             // measured (non-derived) cells only
  Table entropy;             // answer entropy per supervision step
  Table derived;             // which cells came from prefixes of which run
  Table adaptive;            // adaptive policies at matched compute (adaptive_table.cpp)
  Table findings;            // named comparisons, Holm-adjusted together (findings.cpp)
  Table samplers;            // sampler variants' width against depth (sampler_table.cpp)
  Table sampler_collapse;    // where each sampler's accuracy collapses
  std::string model_comparison_note;  // why model_comparison is empty, if it is
  std::string total_matched_note;     // why total_matched is empty, if it is
  std::string findings_note;          // where the findings' comparisons come from

  std::vector<const Table*> all() const;
};

ReportTables build_tables(const SweepResults& results, const TableOptions& options);

// Shared by the table builders and the renderer.
std::string cell_label(std::int64_t width, std::int64_t depth);  // "4x16"
std::string join(const std::vector<std::string>& parts, const std::string& separator);

// The aggregator that ranks a set of cells: the first of aggregator_order() other than
// "oracle" that every cell carries, else "oracle" if all carry it, else "".
std::string ranking_aggregator(const std::vector<const Cell*>& cells);
// The most accurate cell on `aggregator`; ties go to fewer FLOPs spent, then smaller width.
const Cell* best_cell(const std::vector<const Cell*>& cells, const std::string& aggregator);

// McNemar on the per-puzzle outcomes of two cells (each with its own aggregator).
struct PairedTest {
  std::int64_t only_a = 0, only_b = 0;
  double p_value = 1.0;
};
PairedTest paired_test(const Cell& a, const std::string& a_aggregator, const Cell& b,
                       const std::string& b_aggregator);

// Builders of the model-comparison tables (model_comparison.cpp).
void build_model_comparison(const SweepResults& results, ReportTables& tables);
void build_total_matched(const SweepResults& results, ReportTables& tables);
// Builder of the adaptive-policy table (adaptive_table.cpp).
void build_adaptive_table(const SweepResults& results, ReportTables& tables);
// Builders of the samplers and sampler_collapse tables (sampler_table.cpp); both stay empty
// when no model of the sweep ran under a sampler.
void build_sampler_tables(const SweepResults& results, ReportTables& tables);

}  // namespace gram::report
