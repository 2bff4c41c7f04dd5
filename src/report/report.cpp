#include "report/report.h"

#include <filesystem>

#include "report/markdown.h"
#include "report/sweep_results.h"
#include "report/tables.h"
#include "util/error.h"
#include "records/context_record.h"

namespace gram::report {

namespace fs = std::filesystem;

ReportSummary build_report(const ReportOptions& options) {
  if (options.inputs.empty()) throw Error("gram report: no sweep result directory given");
  ReportSummary summary;
  if (!options.output.empty()) {
    summary.output = options.output;
  } else if (options.inputs.size() == 1) {
    summary.output = (fs::path(options.inputs.front()) / "report").string();
  } else {
    throw Error("gram report: several input directories need --output OUT_DIR");
  }
  if (options.peak_gflops && !(*options.peak_gflops > 0)) {
    throw Error("gram report: --peak-gflops must be > 0");
  }

  // Read and check every input before writing anything.
  const SweepResults results = load_sweeps(options.inputs);
  const ReportTables tables = build_tables(results, {options.peak_gflops});

  summary.markdown = (fs::path(summary.output) / "report.md").string();
  if (fs::exists(summary.markdown) && !options.overwrite) {
    throw Error(summary.markdown + ": exists (use --overwrite to replace the report)");
  }
  const fs::path tables_directory = fs::path(summary.output) / "tables";
  const fs::path figures_directory = fs::path(summary.output) / "figures";
  std::error_code error;
  fs::create_directories(tables_directory, error);
  if (error) throw Error(tables_directory.string() + ": cannot create: " + error.message());
  fs::create_directories(figures_directory, error);
  if (error) throw Error(figures_directory.string() + ": cannot create: " + error.message());
  // A figure the new data no longer supports must not survive from an older report.
  for (const fs::directory_entry& entry : fs::directory_iterator(figures_directory)) {
    if (entry.path().extension() == ".png") fs::remove(entry.path());
  }

  for (const Table* table : tables.all()) {
    const std::string csv = (tables_directory / (table->name + ".csv")).string();
    write_text_file(csv, to_csv(*table));
    write_text_file((tables_directory / (table->name + ".json")).string(),
                    to_json(*table).dump(1) + "\n");
    summary.tables.push_back(csv);
  }

  if (options.figures) {
    summary.figures = render_figures(tables_directory.string(), figures_directory.string());
  } else {
    summary.figures.python = plotting_python();
    summary.figures.skipped_reason = "plotting disabled (--no-figures)";
  }
  MarkdownInputs inputs;
  inputs.tables = &tables;
  inputs.report_context = records::to_json(records::context_record(options.argc, options.argv));
  inputs.figures = &summary.figures;
  write_text_file(summary.markdown, render_markdown(inputs));
  return summary;
}

}  // namespace gram::report
