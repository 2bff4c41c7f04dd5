// JsonlWriter refuses to clobber, writes one parseable line per record and fails loudly;
// read_jsonl reads them back and sets a torn tail aside.
#include "util/jsonl_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>

#include "util/error.h"
#include "util/temp_dir.h"

namespace gram {
namespace {

using gram::testing::read_file;
using gram::testing::TempDir;

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(JsonlWriter, WritesOneLinePerRecordThatParsesBack) {
  TempDir dir;
  std::string path = dir.file("results.jsonl");
  {
    JsonlWriter out(path, false);
    out.write({{"puzzle", 0}, {"answer", "12\n34"}, {"correct", true}});
    out.write({{"puzzle", 1}, {"scores", {0.5, 0.25}}});
    EXPECT_EQ(out.records_written(), 2u);
    out.close();
  }
  std::string text = read_file(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);  // the '\n' in a value is escaped
  std::size_t ignored = 99;
  auto records = read_jsonl(path, &ignored);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(ignored, 0u);
  EXPECT_EQ(records[0]["answer"], "12\n34");
  EXPECT_EQ(records[1]["scores"][1], 0.25);
}

TEST(JsonlWriter, RefusesAnExistingFileWithoutOverwrite) {
  TempDir dir;
  std::string path = dir.write("results.jsonl", "{\"old\":1}\n");
  EXPECT_EQ(error_of([&] { JsonlWriter out(path, false); }),
            path + ": exists (pass --overwrite to replace it)");
  EXPECT_EQ(read_file(path), "{\"old\":1}\n");  // untouched
}

TEST(JsonlWriter, OverwriteReplacesTheFile) {
  TempDir dir;
  std::string path = dir.write("results.jsonl", "{\"old\":1}\n{\"old\":2}\n");
  JsonlWriter out(path, true);
  out.write({{"new", 1}});
  auto records = read_jsonl(path);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["new"], 1);
}

TEST(JsonlWriter, CreatesTheParentDirectory) {
  TempDir dir;
  std::string path = dir.file("runs/2025/sudoku/results.jsonl");
  JsonlWriter out(path, false);
  out.write({{"x", 1}});
  EXPECT_EQ(read_jsonl(path).size(), 1u);
}

TEST(JsonlWriter, UnwritablePathIsAnError) {
  TempDir dir;
  std::string blocker = dir.write("not-a-directory", "");
  std::string path = blocker + "/results.jsonl";
  EXPECT_EQ(error_of([&] { JsonlWriter out(path, false); }),
            path + ": cannot write: Not a directory");
}

TEST(JsonlWriter, FullDiskIsAnErrorNamingThePath) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  JsonlWriter out("/dev/full", true);
  EXPECT_EQ(error_of([&] { out.write({{"x", 1}}); }),
            "/dev/full: cannot write: No space left on device");
  EXPECT_EQ(error_of([&] { out.write({{"x", 2}}); }),
            "/dev/full: cannot write: an earlier write failed");
}

TEST(JsonlWriter, NonFiniteNumbersAndBadUtf8StillGiveValidJson) {
  TempDir dir;
  std::string path = dir.file("results.jsonl");
  JsonlWriter out(path, false);
  out.write({{"nan", std::nan("")},
             {"inf", std::numeric_limits<double>::infinity()},
             {"text", std::string("ok\xff")}});
  auto records = read_jsonl(path);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0]["nan"].is_null());
  EXPECT_TRUE(records[0]["inf"].is_null());
  EXPECT_EQ(records[0]["text"], "ok\xef\xbf\xbd");  // U+FFFD
}

TEST(JsonlWriter, MovedWriterKeepsWriting) {
  TempDir dir;
  std::string path = dir.file("results.jsonl");
  JsonlWriter first(path, false);
  first.write({{"x", 1}});
  JsonlWriter second = std::move(first);
  second.write({{"x", 2}});
  EXPECT_EQ(second.records_written(), 2u);
  EXPECT_EQ(read_jsonl(path).size(), 2u);
}

TEST(JsonlWriter, RemovedDirectoryIsAnErrorNamingThePath) {
  // Without the check the records would go on into the unlinked file and be lost silently.
  TempDir dir;
  std::string path = dir.file("out/results.jsonl");
  JsonlWriter out(path, false);
  out.write({{"x", 1}});
  std::filesystem::remove_all(dir.file("out"));
  EXPECT_EQ(error_of([&] { out.check_in_place(); }),
            path + ": cannot write: the file was removed during the run (No such file or directory)");
  EXPECT_EQ(error_of([&] { out.write({{"x", 2}}); }),
            path + ": cannot write: the file was removed during the run (No such file or directory)");
  // And it stays failed, even once something is back at the path.
  std::filesystem::create_directories(dir.file("out"));
  EXPECT_EQ(error_of([&] { out.write({{"x", 3}}); }),
            path + ": cannot write: an earlier write failed");
}

TEST(JsonlWriter, ReplacedFileIsAnError) {
  TempDir dir;
  std::string path = dir.file("results.jsonl");
  JsonlWriter out(path, false);
  out.write({{"x", 1}});
  std::filesystem::rename(path, dir.file("moved.jsonl"));
  dir.write("results.jsonl", "{}\n");
  EXPECT_EQ(error_of([&] { out.write({{"x", 2}}); }),
            path + ": cannot write: the file was replaced during the run by another one");
  EXPECT_EQ(read_file(path), "{}\n");
}

TEST(JsonlWriter, SyncKeepsTheFileOpen) {
  TempDir dir;
  std::string path = dir.file("results.jsonl");
  JsonlWriter out(path, false);
  out.write({{"x", 1}});
  out.sync();
  out.write({{"x", 2}});
  out.close();
  EXPECT_EQ(read_jsonl(path).size(), 2u);
  EXPECT_EQ(error_of([&] { out.sync(); }), path + ": cannot sync: the file is closed");
}

TEST(JsonlWriter, AppendCutsATornTailSoTheNextRecordStandsAlone) {
  TempDir dir;
  std::string path = dir.write("killed.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":3, \"b");
  {
    JsonlWriter out = JsonlWriter::append_to(path);
    EXPECT_EQ(out.bytes_written(), 16u);
    out.write({{"a", 4}});
  }
  EXPECT_EQ(read_file(path), "{\"a\":1}\n{\"a\":2}\n{\"a\":4}\n");
}

TEST(ReadJsonl, IgnoresATornTail) {
  TempDir dir;
  std::string path = dir.write("killed.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":");
  std::size_t ignored = 0;
  auto records = read_jsonl(path, &ignored);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["a"], 2);
  EXPECT_EQ(ignored, 1u);
  EXPECT_EQ(read_jsonl(path).size(), 2u);  // the count is optional
}

TEST(ReadJsonl, ACompleteLastLineWithoutNewlineIsStillATail) {
  TempDir dir;
  std::size_t ignored = 0;
  auto records = read_jsonl(dir.write("tail.jsonl", "{\"a\":1}\n{\"a\":2}"), &ignored);
  EXPECT_EQ(records.size(), 1u);
  EXPECT_EQ(ignored, 1u);
}

TEST(ReadJsonl, EmptyFileAndBlankLines) {
  TempDir dir;
  std::size_t ignored = 99;
  EXPECT_TRUE(read_jsonl(dir.write("empty.jsonl", ""), &ignored).empty());
  EXPECT_EQ(ignored, 0u);
  EXPECT_EQ(read_jsonl(dir.write("blank.jsonl", "{}\n\n[]\n")).size(), 2u);
}

TEST(ReadJsonl, BadLineNamesItsNumber) {
  TempDir dir;
  std::string path = dir.write("bad.jsonl", "{\"a\":1}\n\n{\"a\":2} trailing\n{}\n");
  EXPECT_EQ(error_of([&] { read_jsonl(path); }), path + ":3: not JSON");
}

TEST(ReadJsonl, RefusesADevice) {
  // /dev/zero would never end; /dev/full reads as zeros too.
  if (!std::filesystem::exists("/dev/zero")) GTEST_SKIP() << "no /dev/zero on this system";
  EXPECT_EQ(error_of([] { read_jsonl("/dev/zero"); }), "/dev/zero: not a regular file");
}

TEST(ReadJsonl, MissingFile) {
  TempDir dir;
  std::string path = dir.file("absent.jsonl");
  EXPECT_EQ(error_of([&] { read_jsonl(path); }), path + ": cannot open: No such file or directory");
}

}  // namespace
}  // namespace gram
