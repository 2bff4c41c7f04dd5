// gram report DIR [DIR...]: tables, Markdown and figures from sweep result directories.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "report/report.h"
#include "util/error.h"

namespace gram::cli {

namespace {

constexpr const char* kUsage =
    "usage: gram report DIR [DIR...] [--output OUT_DIR] [--peak-gflops X] [--overwrite]\n"
    "                   [--no-figures]\n"
    "  DIR            a sweep result directory holding cells.jsonl (written by gram sweep)\n"
    "  --output       report directory (default DIR/report; required for several DIRs)\n"
    "  --peak-gflops  device peak in GFLOP/s for 'fraction of peak' (default: the sweep's)\n"
    "  --overwrite    replace an existing report\n"
    "  --no-figures   do not run the plotting script\n"
    "Figures are drawn by tools/plot_report.py with $GRAM_PYTHON or /usr/bin/python3.\n"
    "docs/reports.md explains every table and figure.\n";

double parse_positive(const std::string& option, const std::string& text) {
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value > 0)) {
    throw Error("gram report: " + option + " expects a positive number, got '" + text + "'");
  }
  return value;
}

int report_command(const CommandContext& context) {
  report::ReportOptions options;
  options.argc = context.argc;
  options.argv = context.argv;
  const std::vector<std::string>& arguments = context.arguments;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    const auto value = [&]() -> const std::string& {
      if (i + 1 >= arguments.size()) throw Error("gram report: " + argument + " needs a value");
      return arguments[++i];
    };
    if (argument == "--help" || argument == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (argument == "--output") {
      options.output = value();
    } else if (argument == "--peak-gflops") {
      options.peak_gflops = parse_positive(argument, value());
    } else if (argument == "--overwrite") {
      options.overwrite = true;
    } else if (argument == "--no-figures") {
      options.figures = false;
    } else if (argument.rfind("--", 0) == 0) {
      throw Error("gram report: unknown option " + argument + " (gram report --help)");
    } else {
      options.inputs.push_back(argument);
    }
  }
  if (options.inputs.empty()) {
    throw Error("gram report: expects at least one sweep result directory (gram report --help)");
  }
  const report::ReportSummary summary = report::build_report(options);
  std::printf("wrote %s (%zu tables in %s/tables, %zu figures)\n", summary.markdown.c_str(),
              summary.tables.size(), summary.output.c_str(), summary.figures.written.size());
  if (!summary.figures.skipped_reason.empty()) {
    std::printf("figures skipped: %s\n", summary.figures.skipped_reason.c_str());
  }
  return 0;
}

}  // namespace

GRAM_REGISTER_COMMAND("report", "tables, Markdown and figures from sweep result directories",
                      report_command);

}  // namespace gram::cli
