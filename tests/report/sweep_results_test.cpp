// Reading cells.jsonl: the fixture's fields, a torn tail, and one located error per fault.
#include <gtest/gtest.h>

#include <string>

#include "common/error_message.h"
#include "report/sweep_results.h"
#include "report/sweep_fixture.h"

namespace gram::report {
namespace {

using testing::TempDir;
using testing::write_sweep;
using testing_support::error_message;

TEST(SweepResults, ReadsTheFixture) {
  TempDir temp;
  const std::string directory = write_sweep(temp, "sweep", testing::fixture_lines());
  const SweepResults results = load_sweeps({directory});
  ASSERT_EQ(results.runs.size(), 1u);
  EXPECT_EQ(results.runs[0].commit, "abc1234");
  EXPECT_EQ(results.runs[0].budget_unit, "steps");
  EXPECT_DOUBLE_EQ(*results.runs[0].peak_flops_per_s, 1e11);
  EXPECT_EQ(results.models.size(), 2u);
  EXPECT_EQ(results.model("large").parameters, 8000);
  ASSERT_EQ(results.cells.size(), 7u);
  const Cell& width = results.cells[1];
  EXPECT_EQ(width.strategies, (std::vector<std::string>{"width", "grid"}));
  EXPECT_EQ(width.aggregators, (std::vector<std::string>{"majority", "oracle"}));
  EXPECT_EQ(width.correct.at("majority"), 8);
  EXPECT_DOUBLE_EQ(width.accuracy("majority"), 0.8);
  EXPECT_TRUE(width.derived);
  EXPECT_FALSE(width.timing.has_value());
  EXPECT_TRUE(results.cells[3].timing.has_value());
  EXPECT_EQ(width.location, directory + "/cells.jsonl:3");
  ASSERT_EQ(results.entropy.size(), 1u);
  EXPECT_EQ(results.entropy[0].entropy_bits.size(), 4u);
}

TEST(SweepResults, SetsATornLastLineAside) {
  TempDir temp;
  const std::string directory =
      write_sweep(temp, "sweep", testing::fixture_lines() + R"({"type":"cell","model":"sm)");
  const SweepResults results = load_sweeps({directory});
  EXPECT_EQ(results.cells.size(), 7u);
  EXPECT_EQ(results.runs[0].torn_lines, 1u);
}

TEST(SweepResults, NamesMissingDirectoryAndFile) {
  TempDir temp;
  EXPECT_EQ(error_message([&] { load_sweeps({temp.file("nope")}); }),
            temp.file("nope") + ": no such directory");
  const std::string empty = temp.file("empty");
  std::filesystem::create_directories(empty);
  EXPECT_NE(error_message([&] { load_sweeps({empty}); }).find(empty + "/cells.jsonl: no such file"),
            std::string::npos);
}

TEST(SweepResults, NeedsAContextRecordFirst) {
  TempDir temp;
  std::string lines = testing::fixture_lines();
  lines = lines.substr(lines.find('\n') + 1);  // drop the context
  const std::string directory = write_sweep(temp, "sweep", lines);
  EXPECT_EQ(error_message([&] { load_sweeps({directory}); }),
            directory + "/cells.jsonl:1: no context record (the first record has type 'cell')");
  const std::string empty = write_sweep(temp, "empty", "");
  EXPECT_NE(error_message([&] { load_sweeps({empty}); }).find("no context record"), std::string::npos);
}

TEST(SweepResults, NamesTheLineOfAMalformedRecord) {
  TempDir temp;
  std::string lines = testing::fixture_lines();
  // Line 3 becomes broken JSON; a blank line before it must not shift the count.
  const std::size_t second = lines.find('\n', lines.find('\n') + 1);
  const std::string broken = lines.substr(0, second + 1) + "{not json\n" + lines.substr(second + 1);
  const std::string a = write_sweep(temp, "a", broken);
  EXPECT_EQ(error_message([&] { load_sweeps({a}); }), a + "/cells.jsonl:3: not JSON");

  nlohmann::json cell = testing::fixture_cell("small", 16, 1, 16, {"depth"}, "1000000110", true, "r");
  cell.erase("budget");
  const std::string b = write_sweep(temp, "b", testing::fixture_context(false).dump() + "\n\n" +
                                                   cell.dump() + "\n");
  EXPECT_EQ(error_message([&] { load_sweeps({b}); }),
            b + "/cells.jsonl:3: cell: missing field 'budget'");

  cell = testing::fixture_cell("small", 16, 1, 16, {"depth"}, "1000000110", true, "r");
  cell["correct"]["majority"] = 4;
  const std::string c = write_sweep(temp, "c", testing::fixture_context(false).dump() + "\n" + cell.dump() + "\n");
  EXPECT_EQ(error_message([&] { load_sweeps({c}); }),
            c + "/cells.jsonl:2: cell: per_puzzle.majority has 3 correct but correct.majority = 4");

  cell = testing::fixture_cell("medium", 16, 1, 16, {"depth"}, "1000000110", true, "r");
  const std::string d = write_sweep(temp, "d", testing::fixture_context(false).dump() + "\n" + cell.dump() + "\n");
  EXPECT_NE(error_message([&] { load_sweeps({d}); }).find(":2: cell: model 'medium' is not in"),
            std::string::npos);

  cell = testing::fixture_cell("small", 16, 1, 16, {"depth"}, "10000001", true, "r");
  const std::string e = write_sweep(temp, "e", testing::fixture_context(false).dump() + "\n" + cell.dump() + "\n");
  EXPECT_NE(error_message([&] { load_sweeps({e}); }).find("one '0' or '1' per puzzle (10), got 8"),
            std::string::npos);
}

TEST(SweepResults, MergesDirectoriesOfTheSamePuzzles) {
  TempDir temp;
  const std::string a = write_sweep(temp, "a", testing::fixture_lines());
  nlohmann::json context = testing::fixture_context(false);
  const std::string b = write_sweep(
      temp, "b", context.dump() + "\n" +
                     testing::fixture_cell("small", 32, 2, 16, {"width"}, "1111111100", false, "x").dump() + "\n");
  EXPECT_EQ(load_sweeps({a, b}).cells.size(), 8u);

  // The same cell twice, and another puzzle set, are refused.
  EXPECT_NE(error_message([&] { load_sweeps({a, a}); }).find("cell duplicates the one at"),
            std::string::npos);
  context["puzzles_file"] = "other.csv";
  const std::string c = write_sweep(temp, "c", context.dump() + "\n");
  EXPECT_NE(error_message([&] { load_sweeps({a, c}); }).find("puzzles_file 'other.csv' differs"),
            std::string::npos);
}

}  // namespace
}  // namespace gram::report
