#pragma once
// The Findings section of a report: the comparisons the sweep named before it ran, each tested
// at every budget both sides reach (effect size, Newcombe interval, McNemar p), Holm-adjusted
// as one family, with a verdict per row and a summary per comparison. findings.cpp builds the
// table; findings_markdown.cpp writes report.md's first section from it.
#include <string>

#include "report/sweep_results.h"
#include "report/tables.h"

namespace gram::report {

void build_findings(const SweepResults& results, ReportTables& tables);
std::string findings_section(const ReportTables& tables);

}  // namespace gram::report
