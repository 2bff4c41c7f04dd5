#pragma once
// report.md, rendered only from the rows of the report's tables (report/tables.h), so the
// Markdown never shows a number that the CSV and JSON do not hold.
#include <string>

#include <nlohmann/json.hpp>

#include "report/figures.h"
#include "report/tables.h"

namespace gram::report {

struct MarkdownInputs {
  const ReportTables* tables = nullptr;
  nlohmann::json report_context;  // run context of `gram report` itself
  const FigureResult* figures = nullptr;
};

std::string render_markdown(const MarkdownInputs& inputs);

}  // namespace gram::report
