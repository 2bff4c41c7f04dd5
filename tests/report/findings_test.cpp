// The report's Findings (report/findings.h) on the hand-built fixture: small's majority strings
// at budget 16 are 1x16 "1000000110" and 4x4 "0111111110", at 64 1x64 "1000000000" and 4x16
// "1111111100"; large's at 8 (6.4e7 FLOPs, = small's 64) 1x8 "1111100000" and 2x4 "1111110000".
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "report/findings.h"
#include "report/sweep_fixture.h"
#include "report/tables.h"

namespace gram::report {
namespace {

using nlohmann::json;
using testing::TempDir;

ReportTables tables_with(const json& comparisons) {
  TempDir temp;
  return build_tables(
      load_sweeps({testing::write_sweep(temp, "sweep", testing::fixture_lines(false, comparisons))}),
      {});
}

// Width vs depth at 16: only A 6, only B 1 (McNemar p = 2 x 8/128 = 0.125); at 64: only A 7,
// only B 0 (p = 2/128 = 0.015625). Small-wide at 64 vs large-narrow at 8: only A 3 (p = 0.25).
// Holm over the three: 0.015625 x 3 = 0.046875; 0.125 x 2 = 0.25; 0.25 -> 0.25.
TEST(Findings, NamedComparisonsAreTestedAtEveryBudgetAndHolmAdjusted) {
  const ReportTables tables = tables_with(
      {"small/width/majority vs small/depth/majority", "small/width/majority vs large/depth/majority"});
  const Table& findings = tables.findings;
  ASSERT_EQ(findings.rows.size(), 3u);
  const json& at16 = findings.rows[0];
  EXPECT_EQ(at16["comparison"], "small/width/majority vs small/depth/majority");
  EXPECT_EQ(at16["named_before_run"], true);
  EXPECT_EQ(at16["a_cell"], "4x4");
  EXPECT_EQ(at16["b_cell"], "1x16");
  EXPECT_DOUBLE_EQ(at16["difference"].get<double>(), 0.5);
  EXPECT_EQ(at16["only_a"], 6);
  EXPECT_EQ(at16["only_b"], 1);
  EXPECT_DOUBLE_EQ(at16["p_value"].get<double>(), 0.125);
  EXPECT_DOUBLE_EQ(at16["p_holm"].get<double>(), 0.25);
  EXPECT_EQ(at16["verdict"], "no significant difference");
  EXPECT_LT(at16["difference_low"].get<double>(), 0.5);
  EXPECT_GT(at16["difference_high"].get<double>(), 0.5);

  const json& at64 = findings.rows[1];
  EXPECT_DOUBLE_EQ(at64["p_value"].get<double>(), 0.015625);
  EXPECT_DOUBLE_EQ(at64["p_holm"].get<double>(), 0.046875);
  EXPECT_EQ(at64["verdict"], "A better");
  EXPECT_GT(at64["difference_low"].get<double>(), 0.0);

  const json& models = findings.rows[2];
  EXPECT_EQ(models["a_budget"], 64.0);
  EXPECT_EQ(models["b_budget"], 8.0);
  EXPECT_EQ(models["a_cell"], "4x16");
  EXPECT_EQ(models["b_cell"], "1x8");
  EXPECT_DOUBLE_EQ(models["difference"].get<double>(), 0.3);
  EXPECT_DOUBLE_EQ(models["p_holm"].get<double>(), 0.25);
  EXPECT_EQ(models["verdict"], "no significant difference");
  EXPECT_NE(tables.findings_note.find("2 comparisons named in the sweep config before the run"),
            std::string::npos);

  // report.md: the section comes first, says what did not appear, and gives each row.
  const std::string section = findings_section(tables);
  EXPECT_EQ(section.rfind("## Findings", 0), 0u);
  EXPECT_NE(section.find("3 paired tests in all, Holm-adjusted together"), std::string::npos);
  EXPECT_NE(section.find("A better at 1 of 2 budgets, B better at 0; no significant difference "
                         "at 0.016 GFLOP/puzzle (+50.0 points ["),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("| 0.064 GFLOP/puzzle | 4x16 | 1x64 | 80.0% | 10.0% | +70.0 points ["),
            std::string::npos)
      << section;
}

// Without named comparisons: the default family by rule, said so, still Holm-adjusted. Small's
// width vs depth at 16 and 64, small-wide vs large-narrow at 64 (16 has no large budget within
// 5%), large's width vs depth at 8 (only A 1: p = 1).
TEST(Findings, WithoutNamedComparisonsTheDefaultFamilyIsStated) {
  const ReportTables tables = tables_with(json::array());
  ASSERT_EQ(tables.findings.rows.size(), 4u);
  for (const json& row : tables.findings.rows) EXPECT_EQ(row["named_before_run"], false);
  EXPECT_EQ(tables.findings.rows[3]["comparison"], "large/width/majority vs large/depth/majority");
  EXPECT_DOUBLE_EQ(tables.findings.rows[3]["p_value"].get<double>(), 1.0);
  EXPECT_NE(tables.findings_note.find("the sweep named no comparisons"), std::string::npos);
  // Holm over four: the smallest p (0.015625) times 4.
  EXPECT_DOUBLE_EQ(tables.findings.rows[1]["p_holm"].get<double>(), 0.0625);
  EXPECT_EQ(tables.findings.rows[1]["verdict"], "no significant difference");
}

TEST(Findings, ABrokenComparisonInTheContextIsRefusedByLine) {
  TempDir temp;
  const std::string directory = testing::write_sweep(
      temp, "sweep", testing::fixture_lines(false, {"small/width/majority versus depth"}));
  try {
    load_sweeps({directory});
    FAIL() << "a malformed comparison was accepted";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("cells.jsonl:1: context: sweep.comparisons: config: "
                                             "comparison 'small/width/majority versus depth' is "
                                             "not 'A vs B'"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace gram::report
