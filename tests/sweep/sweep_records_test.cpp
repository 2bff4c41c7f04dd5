// What a resumed sweep reads from an existing cells.jsonl: the keys of the cells and entropy
// curves on file, and one gram::Error line naming file, line and field for a record that cannot
// say which cell it is (before, such a record escaped as a JSON library exception).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/error_message.h"
#include "sweep/sweep_records.h"

namespace {

using gram::sweep::read_sweep_records;
using gram::testing_support::error_message;

constexpr const char* kPlanHash = "0123456789abcdef";
const std::string kContext = R"({"type":"context","plan_hash":"0123456789abcdef"})";
const std::string kCell =
    R"({"type":"cell","model":"m","halting":false,"budget":2,"width":2,"depth":1,"source_run":"r1"})";

class SweepRecordsTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    std::filesystem::create_directories(directory_);
    std::ofstream(path_, std::ios::binary) << text;
    return path_;
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string directory_ = (std::filesystem::temp_directory_path() /
                            ("gram-sweep-records-" + std::to_string(::getpid())))
                               .string();
  std::string path_ = directory_ + "/cells.jsonl";
};

TEST_F(SweepRecordsTest, KeysCellsAndEntropyCurvesAndKeepsOtherRecords) {
  const auto records = read_sweep_records(
      write(kContext + "\n\n" + kCell + "\n" +
            R"({"type":"entropy","source_run":"r1","entropy_bits":[0.5]})" + "\n" +
            R"({"type":"note"})" + "\n"),
      kPlanHash);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].type, "context");
  EXPECT_EQ(records[0].key, "");
  EXPECT_EQ(records[1].key, gram::sweep::cell_key("m", false, 2.0, 2, 1));
  EXPECT_EQ(records[1].source_run, "r1");
  EXPECT_EQ(records[2].key, gram::sweep::entropy_key("r1"));
  EXPECT_EQ(records[3].type, "note");
  EXPECT_EQ(records[3].key, "");
}

TEST_F(SweepRecordsTest, RefusesAFileOfAnotherSweep) {
  EXPECT_NE(error_message([&] {
              read_sweep_records(write(R"({"type":"context","plan_hash":"ffff"})"
                                       "\n"),
                                 kPlanHash);
            }).find("written by a different sweep config"),
            std::string::npos);
  // A first line that is JSON but no object is no context record either.
  EXPECT_NE(error_message([&] { read_sweep_records(write("[1]\n"), kPlanHash); })
                .find("no context record on its first line"),
            std::string::npos);
}

TEST_F(SweepRecordsTest, NamesTheLineAndFieldOfABadCellRecord) {
  std::string cell = kCell;
  cell.replace(cell.find("\"width\":2"), 9, "\"width\":\"2\"");
  EXPECT_EQ(error_message([&] { read_sweep_records(write(kContext + "\n\n" + cell + "\n"), kPlanHash); }),
            path_ + ":3: cell record: 'width' must be an integer in int range");

  cell = kCell;
  cell.replace(cell.find("\"depth\":1"), 9, "\"depth\":1e300");
  EXPECT_EQ(error_message([&] { read_sweep_records(write(kContext + "\n" + cell + "\n"), kPlanHash); }),
            path_ + ":2: cell record: 'depth' must be an integer in int range");

  cell = kCell;
  cell.replace(cell.find(",\"model\":\"m\""), 12, "");
  EXPECT_EQ(error_message([&] { read_sweep_records(write(kContext + "\n" + cell + "\n"), kPlanHash); }),
            path_ + ":2: cell record: missing 'model'");

  cell = kCell;
  cell.replace(cell.find("\"halting\":false"), 15, "\"halting\":0");
  EXPECT_EQ(error_message([&] { read_sweep_records(write(kContext + "\n" + cell + "\n"), kPlanHash); }),
            path_ + ":2: cell record: 'halting' must be true or false");
}

TEST_F(SweepRecordsTest, NamesTheLineOfARecordThatIsNoObjectOrHasNoType) {
  EXPECT_EQ(error_message([&] { read_sweep_records(write(kContext + "\n7\n"), kPlanHash); }),
            path_ + ":2: record must be a JSON object");
  EXPECT_EQ(error_message([&] { read_sweep_records(write(kContext + "\n{\"type\":3}\n"), kPlanHash); }),
            path_ + ":2: 'type' must be a string");
  EXPECT_EQ(error_message([&] {
              read_sweep_records(write(kContext + "\n{\"type\":\"entropy\"}\n"), kPlanHash);
            }),
            path_ + ":2: entropy record: missing 'source_run'");
}

}  // namespace
