// build_report end to end on the fixture: files written, regex checks on report.md, figures
// drawn or skipped, and `gram report` through the real executable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include <sys/wait.h>

#include "common/error_message.h"
#include "common/scoped_environment.h"
#include "report/report.h"
#include "report/sweep_fixture.h"

namespace gram::report {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::TempDir;
using testing_support::error_message;
using testing_support::ScopedEnvironment;

bool contains(const std::string& text, const std::string& pattern) {
  return std::regex_search(text, std::regex(pattern));
}

TEST(Report, WritesTablesAndMarkdownWithoutPython) {
  ScopedEnvironment python("GRAM_PYTHON", "/nonexistent");
  TempDir temp;
  const std::string sweep = testing::write_sweep(temp, "sweep", testing::fixture_lines());
  ReportOptions options;
  options.inputs = {sweep};
  const ReportSummary summary = build_report(options);
  EXPECT_EQ(summary.output, sweep + "/report");
  EXPECT_EQ(summary.figures.skipped_reason, "no Python at /nonexistent (GRAM_PYTHON)");
  for (const std::string name : {"findings", "runs", "models", "iso_budget", "iso_budget_mcnemar",
                                 "model_comparison", "total_matched", "latency", "entropy",
                                 "derived", "adaptive"}) {
    EXPECT_TRUE(fs::exists(summary.output + "/tables/" + name + ".csv")) << name;
    EXPECT_TRUE(fs::exists(summary.output + "/tables/" + name + ".json")) << name;
  }
  const std::string md = read_file(summary.markdown);
  EXPECT_TRUE(contains(md, "figures skipped: no Python at /nonexistent \\(GRAM_PYTHON\\)"));
  EXPECT_TRUE(contains(md, "GRAM_PYTHON=/nonexistent"));
  // Context block.
  EXPECT_TRUE(contains(md, "commit `abc1234`, host testhost \\(4 cores\\), backend cpu"));
  EXPECT_TRUE(contains(md, "Peak: 100 GFLOP/s \\(measured SGEMM\\)"));
  EXPECT_TRUE(contains(md, "\\| small \\| `models/small.safetensors` \\| 1000 \\| 1e\\+05 \\| 1e\\+06 \\| not known \\|"));
  // Findings first, with the default family said to be one.
  EXPECT_TRUE(contains(md, "^# Sweep report\n\n[^\n]*\n\n## Findings\n\nTested here: the sweep named no comparisons"));
  // Iso-budget group and its rows: accuracy, Wilson interval, derived flag.
  EXPECT_TRUE(contains(md, "### small, halting off, 16 steps/puzzle"));
  EXPECT_TRUE(contains(md, "\\| width\\+grid \\| 4x4 \\| yes \\| 8/10 80\\.0% \\[49\\.0, 94\\.3\\] \\|"));
  EXPECT_TRUE(contains(md, "McNemar, width vs depth \\(majority\\): 4x4 80\\.0% vs 1x16 30\\.0%; "
                           "solved only by 4x4: 6, only by 1x16: 1; exact p = 0\\.125"));
  // Model comparison, total-matched note, latency, derived sentence.
  EXPECT_TRUE(contains(md, "\\| halting off \\| 0\\.064 \\| small \\| 1000 \\| 64 \\| width 4x16 \\| "
                           "majority \\| 80\\.0% \\[49\\.0, 94\\.3\\] \\|.*\\| large \\| 2 \\| 0 \\| 0\\.5 \\|"));
  EXPECT_TRUE(contains(md, "total-compute matching skipped: no training FLOPs are known for small, large"));
  EXPECT_TRUE(contains(md, "\\| small \\| halting off \\| 64 \\| width \\| 4x16 \\| 0\\.1 / 0\\.2 / 0\\.3 \\| "
                           "0\\.4 / 0\\.5 / 0\\.6 \\|.*\\| 20 \\| 20\\.0% \\|"));
  EXPECT_TRUE(contains(md, "1x16 4x4 2x8 \\(small, halting off\\) from run small-w4-d16"));
}

TEST(Report, RefusesToOverwriteAndNeedsOutputForSeveralInputs) {
  ScopedEnvironment python("GRAM_PYTHON", "/nonexistent");
  TempDir temp;
  const std::string sweep = testing::write_sweep(temp, "sweep", testing::fixture_lines());
  ReportOptions options;
  options.inputs = {sweep};
  build_report(options);
  EXPECT_EQ(error_message([&] { build_report(options); }),
            sweep + "/report/report.md: exists (use --overwrite to replace the report)");
  options.overwrite = true;
  build_report(options);

  ReportOptions several;
  several.inputs = {sweep, sweep};
  EXPECT_NE(error_message([&] { build_report(several); }).find("need --output"), std::string::npos);
}

TEST(Report, NoFiguresSaysSo) {
  TempDir temp;
  ReportOptions options;
  options.inputs = {testing::write_sweep(temp, "sweep", testing::fixture_lines())};
  options.figures = false;
  const ReportSummary summary = build_report(options);
  EXPECT_TRUE(summary.figures.written.empty());
  EXPECT_TRUE(contains(read_file(summary.markdown), "figures skipped: plotting disabled \\(--no-figures\\)"));
}

TEST(Report, DrawsFiguresWithTheSystemMatplotlib) {
  // Uses /usr/bin/python3 (or GRAM_PYTHON) as `gram report` does; skipped where it lacks matplotlib.
  if (std::system("/usr/bin/python3 -c 'import matplotlib' > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with matplotlib not available";
  }
  TempDir temp;
  std::string lines = testing::fixture_lines();
  // A multi-solution task: every cell found half of the solutions.
  for (std::size_t at; (at = lines.find("\"coverage\":null")) != std::string::npos;) {
    lines.replace(at, 15, "\"coverage\":0.5");
  }
  const std::string sweep = testing::write_sweep(temp, "sweep", lines);
  ReportOptions options;
  options.inputs = {sweep};
  options.output = temp.file("out");
  const ReportSummary summary = build_report(options);
  ASSERT_EQ(summary.figures.skipped_reason, "");
  EXPECT_EQ(summary.figures.written,
            (std::vector<std::string>{"accuracy_vs_budget.png", "coverage_vs_width.png",
                                      "latency_vs_budget.png", "entropy_vs_depth.png"}));
  for (const std::string& name : summary.figures.written) {
    EXPECT_GT(fs::file_size(temp.file("out/figures/" + name)), 1000u) << name;
  }
  const std::string md = read_file(summary.markdown);
  EXPECT_TRUE(contains(md, "!\\[accuracy_vs_budget.png\\]\\(figures/accuracy_vs_budget.png\\)"));
  EXPECT_TRUE(contains(md, "\\| pass@1 \\| pass@k \\| coverage \\|"));
  EXPECT_TRUE(contains(md, "\\| 50\\.0% \\| 90\\.0% \\| 50\\.0% \\| 352 \\| 0\\.016 \\|"));
}

int run_gram(const std::string& arguments, std::string* output) {
  TempDir temp;
  const std::string log = temp.file("log");
  const int status = std::system((std::string(GRAM_EXECUTABLE) + " " + arguments + " > " + log + " 2>&1").c_str());
  *output = read_file(log);
  return WEXITSTATUS(status);
}

TEST(Report, GramReportCommand) {
  ScopedEnvironment python("GRAM_PYTHON", "/nonexistent");
  TempDir temp;
  const std::string a = testing::write_sweep(temp, "a", testing::fixture_lines(true));
  std::string output;
  ASSERT_EQ(run_gram("report " + a + " --output " + temp.file("out") + " --peak-gflops 40", &output), 0)
      << output;
  EXPECT_TRUE(contains(output, "wrote .*/out/report.md \\(13 tables")) << output;
  EXPECT_TRUE(contains(output, "figures skipped: no Python at /nonexistent"));
  const std::string md = read_file(temp.file("out/report.md"));
  EXPECT_TRUE(contains(md, "Peak: 40 GFLOP/s \\(--peak-gflops"));
  EXPECT_TRUE(contains(md, "\\(beyond sweep: lower bound\\)"));
  EXPECT_TRUE(contains(md, "gram report " + a));

  // User errors: one line naming the file and line.
  const std::string bad = testing::write_sweep(temp, "bad", testing::fixture_context(false).dump() + "\n[1]\n");
  EXPECT_EQ(run_gram("report " + bad, &output), 1);
  EXPECT_EQ(output, "gram: error: " + bad +
                        "/cells.jsonl:2: not a record (expected an object with a string field 'type')\n");
  EXPECT_EQ(run_gram("report " + temp.file("missing"), &output), 1);
  EXPECT_EQ(output, "gram: error: " + temp.file("missing") + ": no such directory\n");
  EXPECT_EQ(run_gram("report " + a + " --peak-gflops fast", &output), 1);
  EXPECT_TRUE(contains(output, "--peak-gflops expects a positive number, got 'fast'"));
}

}  // namespace
}  // namespace gram::report
