#pragma once
// `gram report`: one or more sweep result directories in, a report directory out:
//
//   OUT/report.md           context, iso-budget tables, model comparison, latency, entropy,
//                           derived cells, figures (or "figures skipped: <reason>")
//   OUT/tables/<name>.csv   every table, data first; the Markdown is rendered from these rows
//   OUT/tables/<name>.json
//   OUT/figures/*.png       drawn by tools/plot_report.py from the CSVs
//
// docs/reports.md explains the input format and every column and figure.
#include <optional>
#include <string>
#include <vector>

#include "report/figures.h"

namespace gram::report {

struct ReportOptions {
  std::vector<std::string> inputs;  // sweep result directories
  std::string output;               // default: INPUT/report for a single input
  std::optional<double> peak_gflops;
  bool overwrite = false;
  bool figures = true;  // false: no plotting at all (says so in report.md)
  int argc = 0;         // for the report's own context block
  char** argv = nullptr;
};

struct ReportSummary {
  std::string output;
  std::string markdown;  // path of report.md
  std::vector<std::string> tables;  // paths of the CSVs
  FigureResult figures;
};

ReportSummary build_report(const ReportOptions& options);

}  // namespace gram::report
