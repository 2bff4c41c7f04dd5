// Faults during `gram sweep` in a single process, through the real executable: SIGTERM and
// SIGKILL in the middle of a sweep, then a resume that must end with the records of a sweep
// that was never interrupted; a torn last line; a full disk (/dev/full); the output directory
// removed while the sweep runs. docs/faults.md states what each test backs.
//
// "The middle" is deterministic, not timed: the test waits until cells.jsonl holds the context
// and at least one cell (so some runs are done and others are not) and signals then. The sweep
// is large enough that it is still running at that point on any machine, and every wait is
// a poll with a generous bound, for loaded CI machines.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "common/background_command.h"
#include "common/distributed_results.h"
#include "common/tiny_sweep_fixture.h"

namespace {

using namespace gram::testing;

class GramSweepFaults : public TinySweep {
 protected:
  void SetUp() override {
    TinySweep::SetUp();
    // 300 puzzles: on an idle machine 60 finish the whole sweep within the poll that sees the
    // first cells, before the signal can arrive; 300 leave seconds of work after them.
    ASSERT_EQ(run("generate --task sudoku:4 --count 300 --seed 3 --output " + path("many.txt")).status,
              0);
  }
  // Eight runs over 300 puzzles: each run's cells land in cells.jsonl while later runs are
  // still to come.
  std::string long_sweep(const std::string& output) const {
    return "sweep --models tiny=" + path("m.safetensors") +
           " --puzzles " + path("many.txt") + " --output " + path(output) +
           " --budgets 2,4,8,16 --fixed_depth 2 --halting off,on --threads 1";
  }
  static std::string gram_command(const std::string& arguments) {
    return std::string(GRAM_EXECUTABLE) + " " + arguments;
  }
  std::size_t records(const std::string& output) const {
    return complete_records(path(output) + "/cells.jsonl").size();
  }
  // Starts the long sweep into `output` and returns once its first cell is on file.
  void start_and_wait_for_a_cell(BackgroundCommand& sweep, const std::string& output) {
    ASSERT_TRUE(sweep.started());
    ASSERT_TRUE(sweep.wait_until([&] { return records(output) >= 2; }, 300))
        << "no cell after 300 s\n" << sweep.output();
    ASSERT_FALSE(sweep.poll()) << "the sweep ended before the fault; make it larger\n"
                               << sweep.output();
  }
  // Resumes `output`, checks that it picked up the earlier cells, and compares it with an
  // uninterrupted sweep: cells.jsonl record by record without the timing fields (and the
  // context's start time, command line, measured peak: docs/faults.md), the raw run files
  // byte for byte.
  void resume_and_compare(const std::string& output) {
    const Command resumed = run(long_sweep(output));
    ASSERT_EQ(resumed.status, 0) << resumed.output;
    EXPECT_NE(resumed.output.find("from an earlier attempt"), std::string::npos) << resumed.output;
    EXPECT_EQ(resumed.output.find("(0 from an earlier attempt)"), std::string::npos)
        << resumed.output;
    const Command whole = run(long_sweep("whole"));
    ASSERT_EQ(whole.status, 0) << whole.output;
    // Runs execute in plan order and a resume runs the missing ones in the same order, so the
    // records come in the same order too.
    EXPECT_EQ(comparable_sweep(path(output)), comparable_sweep(path("whole")));
    EXPECT_EQ(raw_runs(path(output)), raw_runs(path("whole")));
  }
};

TEST_F(GramSweepFaults, SigtermStopsAtASafePointAndResumeEqualsAnUninterruptedSweep) {
  BackgroundCommand sweep(gram_command(long_sweep("stopped")), path("stopped.log"));
  start_and_wait_for_a_cell(sweep, "stopped");
  ASSERT_TRUE(sweep.signal(SIGTERM));
  const auto status = sweep.wait(120);
  ASSERT_TRUE(status) << "still running 120 s after SIGTERM\n" << sweep.output();
  EXPECT_EQ(*status, 143) << sweep.output();
  // One line says what is on file and how to go on; no error line.
  const std::string output = sweep.output();
  EXPECT_NE(output.find("gram: sweep stopped by SIGTERM: "), std::string::npos) << output;
  EXPECT_NE(output.find(" cells on file in " + path("stopped") + "/cells.jsonl"),
            std::string::npos) << output;
  EXPECT_NE(output.find("rerun the same command to resume"), std::string::npos) << output;
  EXPECT_EQ(output.find("gram: error"), std::string::npos) << output;
  // A clean stop leaves no torn line.
  std::ifstream file(path("stopped") + "/cells.jsonl");
  const std::string text((std::istreambuf_iterator<char>(file)), {});
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  resume_and_compare("stopped");
}

TEST_F(GramSweepFaults, SigkillLosesAtMostTheRunUnderWayAndResumeEqualsAnUninterruptedSweep) {
  BackgroundCommand sweep(gram_command(long_sweep("killed")), path("killed.log"));
  start_and_wait_for_a_cell(sweep, "killed");
  const std::size_t before = records("killed");
  ASSERT_TRUE(sweep.signal(SIGKILL));
  const auto status = sweep.wait(60);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 128 + SIGKILL);
  // Every record on file before the kill is still there and whole.
  EXPECT_GE(records("killed"), before);
  EXPECT_EQ(complete_records(path("killed") + "/cells.jsonl").front()["type"], "context");
  resume_and_compare("killed");
}

// A stop while a latent search runs (searches run last, on the shipped stochastic model with a
// value head): the search is dropped whole and runs again on resume, and the result equals a
// sweep that was never stopped.
TEST_F(GramSweepFaults, SigtermDuringASearchResumesToTheUninterruptedResult) {
  const std::string model = std::string(GRAM_SOURCE_DIR) + "/models/sudoku6-gram-small.safetensors";
  const std::string puzzles = std::string(GRAM_SOURCE_DIR) + "/models/data/sudoku6-test.txt";
  auto search_sweep = [&](const std::string& output) {
    return "sweep --models small=" + model + " --puzzles " + puzzles +
           " --limit 150 --budgets 4,64 --strategies width --fixed_depth 4 --threads 1"
           " --aggregators majority --searches smc --search_rows 16 --search_temperature 0.001"
           " --output " + path(output);
  };
  BackgroundCommand sweep(gram_command(search_sweep("stopped")), path("search.log"));
  ASSERT_TRUE(sweep.started());
  ASSERT_TRUE(sweep.wait_until(
      [&] { return sweep.output().find("search 1/1 small-smc-r16-d4 started") != std::string::npos; },
      300))
      << sweep.output();
  ASSERT_TRUE(sweep.signal(SIGTERM));
  const auto status = sweep.wait(120);
  ASSERT_TRUE(status) << sweep.output();
  ASSERT_EQ(*status, 143) << "the search ended before the signal; make it larger\n"
                          << sweep.output();
  EXPECT_NE(sweep.output().find("run small-smc-r16-d4 will run again"), std::string::npos)
      << sweep.output();
  for (const auto& record : complete_records(path("stopped") + "/cells.jsonl")) {
    EXPECT_NE(record["type"], "search");
  }
  const Command resumed = run(search_sweep("stopped"));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("1 runs executed"), std::string::npos) << resumed.output;
  const Command whole = run(search_sweep("whole"));
  ASSERT_EQ(whole.status, 0) << whole.output;
  EXPECT_EQ(comparable_sweep(path("stopped")), comparable_sweep(path("whole")));
  EXPECT_EQ(raw_runs(path("stopped")), raw_runs(path("whole")));
}

TEST_F(GramSweepFaults, ATornLineIsNeverReadAsARecord) {
  ASSERT_EQ(run(sweep("whole")).status, 0);
  std::ifstream whole(path("whole") + "/cells.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(whole, line);) lines.push_back(line);
  ASSERT_GE(lines.size(), 4u);
  // A torn tail (what a writer killed mid-line would leave): set aside, with a line saying so.
  std::filesystem::create_directories(path("torn"));
  {
    std::ofstream file(path("torn") + "/cells.jsonl");
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) file << lines[i] << "\n";
    file << lines.back().substr(0, lines.back().size() / 2);
  }
  const Command report = run("report " + path("torn") + " --no-figures");
  ASSERT_EQ(report.status, 0) << report.output;
  EXPECT_NE(report.output.find("report: " + path("torn") +
                               "/cells.jsonl: unfinished last line (an interrupted sweep) set "
                               "aside"),
            std::string::npos)
      << report.output;
  // A torn line in the middle is no tail: refused, naming the line.
  std::filesystem::create_directories(path("middle"));
  {
    std::ofstream file(path("middle") + "/cells.jsonl");
    file << lines[0] << "\n" << lines[1].substr(0, 20) << "\n";
    for (std::size_t i = 2; i < lines.size(); ++i) file << lines[i] << "\n";
  }
  const Command refused = run("report " + path("middle") + " --no-figures");
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.output.find(path("middle") + "/cells.jsonl:2: not JSON"), std::string::npos)
      << refused.output;
  const Command resume = run(sweep("middle"));
  EXPECT_EQ(resume.status, 1);
  EXPECT_NE(resume.output.find(path("middle") + "/cells.jsonl:2: not JSON"), std::string::npos)
      << resume.output;
}

// ENOSPC without root: result files that are links to /dev/full, where every write fails with
// "No space left on device".
TEST_F(GramSweepFaults, FullDiskIsOneClearLineNamingTheFile) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
  auto expect_one_error_line = [](const Command& result, const std::string& file) {
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_NE(result.output.find("gram: error: " + file +
                                 ": cannot write: No space left on device"),
              std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("gram: error"), result.output.rfind("gram: error"))
        << result.output;
  };
  // A cells.jsonl that is a device is refused when the resume reads it (reading /dev/full
  // would never end), before anything is written.
  std::filesystem::create_directories(path("cells-full"));
  std::filesystem::create_symlink("/dev/full", path("cells-full") + "/cells.jsonl");
  const Command device = run(sweep("cells-full"));
  EXPECT_EQ(device.status, 1) << device.output;
  EXPECT_NE(device.output.find("gram: error: " + path("cells-full") +
                               "/cells.jsonl: not a regular file"),
            std::string::npos)
      << device.output;

  // The raw file of the first run, written while its run goes.
  ASSERT_EQ(run(sweep("whole")).status, 0);
  const std::string first_run =
      read_records(path("whole") + "/cells.jsonl").front()["runs"][0]["name"];
  std::filesystem::create_directories(path("raw-full") + "/runs");
  std::filesystem::create_symlink("/dev/full", path("raw-full") + "/runs/" + first_run + ".jsonl");
  expect_one_error_line(run(sweep("raw-full")), path("raw-full") + "/runs/" + first_run + ".jsonl");

  // gram run's result file.
  std::filesystem::create_symlink("/dev/full", path("run.jsonl"));
  expect_one_error_line(run("run --model " + path("m.safetensors") + " --puzzles " + path("p.txt") +
                            " --width 2 --depth 2 --threads 1 --overwrite --output " +
                            path("run.jsonl")),
                        path("run.jsonl"));
}

TEST_F(GramSweepFaults, RemovedOutputDirectoryIsOneClearLine) {
  BackgroundCommand sweep(gram_command(long_sweep("removed")), path("removed.log"));
  start_and_wait_for_a_cell(sweep, "removed");
  std::error_code error;
  // The sweep may be creating a run file meanwhile; try until the directory is gone.
  for (int attempt = 0; attempt < 50 && std::filesystem::exists(path("removed")); ++attempt) {
    std::filesystem::remove_all(path("removed"), error);
  }
  ASSERT_FALSE(std::filesystem::exists(path("removed"))) << error.message();
  const auto status = sweep.wait(300);
  ASSERT_TRUE(status) << "still running 300 s after its directory was removed\n"
                      << sweep.output();
  const std::string output = sweep.output();
  EXPECT_EQ(*status, 1) << output;
  // The first write after the removal names its file: cells.jsonl, or the raw file of the run
  // under way.
  EXPECT_TRUE(std::regex_search(
      output, std::regex("gram: error: " + path("removed") +
                         "/(cells|runs/[a-z0-9-]+)\\.jsonl: cannot write: the file was removed "
                         "during the run \\(No such file or directory\\)")))
      << output;
  EXPECT_EQ(output.find("gram: error"), output.rfind("gram: error")) << output;
}

}  // namespace
