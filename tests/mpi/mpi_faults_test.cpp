#include <unistd.h>
// Stop signals under mpirun (label mpi): SIGTERM to mpirun, which passes it to every rank, and
// SIGTERM to one rank alone, which the ranks agree on at the end of the run under way. Either
// way every rank stops at a safe point, rank 0 says what is on file, and a resume on two ranks
// ends with the records of an uninterrupted single-process sweep (timing and launch fields
// aside: common/distributed_results.h). A rank killed with SIGKILL is mpi_test.cpp's
// KilledRankEndsTheJobAndResumeCompletesTheSweep. Skipped, with the reason, without mpirun or
// in a build without GRAM_MPI.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <string>

#include "common/background_command.h"
#include "common/cli_fixture.h"
#include "common/distributed_results.h"
#include "common/rank_log.h"

namespace {

using namespace gram::testing;

class MpiFaults : public GramCli {
 protected:
  void SetUp() override {
    GramCli::SetUp();
    if (!GRAM_HAS_MPI) GTEST_SKIP() << "this build has no MPI (GRAM_MPI=OFF)";
    mpirun_ = find_program("mpirun");
    if (mpirun_.empty()) GTEST_SKIP() << "mpirun is not on PATH (Debian: openmpi-bin)";
    const std::string config = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json";
    ASSERT_EQ(run("generate --random-model " + config + " --seed 5 --output " + path("m.safetensors")).status, 0);
    // 300 puzzles: on an idle machine 60 finish the whole sweep within the poll that sees the
    // first cells, before the signal can arrive; 300 leave 0.8 s of work after them.
    ASSERT_EQ(run("generate --task sudoku:4 --count 300 --seed 3 --output " + path("many.txt")).status, 0);
  }
  // mpirun as root on a machine with fewer cores than ranks; `env` so that the background
  // command's exec makes mpirun itself the process the test signals.
  std::string mpi(int ranks, const std::string& arguments, const std::string& log_dir) const {
    return "env GRAM_LOG_DIR=" + log_dir + " " + mpirun_ +
           " --oversubscribe --allow-run-as-root --bind-to none -np " + std::to_string(ranks) +
           " " + GRAM_EXECUTABLE + " " + arguments;
  }
  std::string sweep(const std::string& output, const std::string& puzzles = "many.txt") const {
    return "sweep --models tiny=" + path("m.safetensors") + " --puzzles " + path(puzzles) +
           " --output " + path(output) + " --budgets 2,4,8,16 --fixed_depth 2 --halting off,on" +
           " --threads 1";
  }
  std::size_t records(const std::string& output) const {
    return complete_records(path(output) + "/cells.jsonl").size();
  }
  std::string read(const std::string& file) const {
    std::ifstream in(file);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
  // Both ranks' logs hold `phrase`: they stopped at a safe point rather than being aborted.
  void expect_both_ranks_logged(const std::string& phrase) const {
    for (int rank : {0, 1}) {
      const std::string log = read(path("logs") + "/rank-" + std::to_string(rank) + ".log");
      EXPECT_NE(log.find(phrase), std::string::npos) << "rank " << rank << "\n" << log;
    }
  }
  // Sends SIGTERM to rank 1 alone (its pid from its log) and waits for the job, which must end
  // with 143 and no error line; `output` is what it printed.
  void sigterm_rank_one(BackgroundCommand& job, std::string& output) const {
    const pid_t rank_one = pid_in_rank_log(path("logs") + "/rank-1.log");
    ASSERT_NE(rank_one, 0) << read(path("logs") + "/rank-1.log");
    ASSERT_FALSE(job.poll()) << "the sweep ended before the signal; make it larger\n"
                             << job.output();
    ASSERT_EQ(::kill(rank_one, SIGTERM), 0);
    const auto status = job.wait(120);
    ASSERT_TRUE(status) << "the job still runs 120 s after SIGTERM\n" << job.output();
    output = job.output();
    EXPECT_EQ(*status, 143) << output;
    EXPECT_EQ(output.find("gram: error"), std::string::npos) << output;
  }
  // Resumes on two ranks and compares with one uninterrupted process.
  void resume_and_compare(const std::string& output, const std::string& puzzles = "many.txt") {
    const Shell resumed = shell(mpi(2, sweep(output, puzzles), path("resume-logs")));
    ASSERT_EQ(resumed.status, 0) << resumed.output;
    EXPECT_NE(resumed.output.find("from an earlier attempt"), std::string::npos) << resumed.output;
    EXPECT_EQ(resumed.output.find("(0 from an earlier attempt)"), std::string::npos)
        << resumed.output;
    const Command whole = run(sweep("whole", puzzles));
    ASSERT_EQ(whole.status, 0) << whole.output;
    EXPECT_EQ(comparable_sweep(path(output)), comparable_sweep(path("whole")));
    EXPECT_EQ(raw_runs(path(output)), raw_runs(path("whole")));
  }
  std::string mpirun_;
};

// Open MPI 4.1's mpirun passes SIGTERM on in two steps: SIGCONT to every rank at once, SIGTERM a
// second later (odls_base_sigkill_timeout), then SIGKILL after another. The ranks run on in that
// second, so the sweep here leaves seconds of work after its first cell (2400 puzzles: 7 s on an
// idle 2-core machine of CI's kind), where the 300 of the other tests leave 0.8 s.
TEST_F(MpiFaults, SigtermToMpirunStopsEveryRankAndResumeCompletesTheSweep) {
  ASSERT_EQ(run("generate --task sudoku:4 --count 2400 --seed 3 --output " + path("long.txt"))
                .status,
            0);
  BackgroundCommand job(mpi(2, sweep("stopped", "long.txt"), path("logs")), path("job.out"));
  ASSERT_TRUE(job.wait_until([&] { return records("stopped") >= 2; }, 300))
      << "no cell after 300 s\n" << job.output();
  ASSERT_FALSE(job.poll()) << "the sweep ended before the signal; make it larger\n" << job.output();
  ASSERT_TRUE(job.signal(SIGTERM));
  const auto status = job.wait(120);
  ASSERT_TRUE(status) << "the job still runs 120 s after SIGTERM\n" << job.output();
  // Open MPI's mpirun exits with 1 after passing a signal on; its ranks stopped at a safe point
  // (rank 0 says what is on file) within the 1 s before mpirun would SIGKILL them.
  EXPECT_NE(*status, 0) << job.output();
  ASSERT_NE(job.output().find("gram: sweep stopped by SIGTERM: "), std::string::npos)
      << "the ranks finished before mpirun's SIGTERM reached them; make the sweep larger\n"
      << job.output();
  expect_both_ranks_logged("stopping on SIGTERM");
  // Finished cells are whole and on file; the file ends on a record boundary.
  const std::string cells = read(path("stopped") + "/cells.jsonl");
  ASSERT_FALSE(cells.empty());
  EXPECT_EQ(cells.back(), '\n');
  EXPECT_GE(records("stopped"), 2u);
  resume_and_compare("stopped", "long.txt");
}

TEST_F(MpiFaults, SigtermToOneRankStopsAllRanksTogether) {
  BackgroundCommand job(mpi(2, sweep("stopped"), path("logs")), path("job.out"));
  ASSERT_TRUE(job.wait_until([&] { return records("stopped") >= 2; }, 300))
      << "no cell after 300 s\n" << job.output();
  // Only rank 1 is told; rank 0 learns it when the run under way ends on every rank.
  std::string output;
  ASSERT_NO_FATAL_FAILURE(sigterm_rank_one(job, output));
  EXPECT_NE(output.find("gram: sweep stopped by SIGTERM: "), std::string::npos) << output;
  EXPECT_NE(output.find("rerun the same command to resume"), std::string::npos) << output;
  expect_both_ranks_logged("stopping on SIGTERM");
  resume_and_compare("stopped");
}

// A search shares whole puzzles out over the ranks; SIGTERM to one rank while they search stops
// both before the gather, the search runs again whole on resume, and the result is one process's.
TEST_F(MpiFaults, SigtermToOneRankDuringASearchStopsAllRanksTogether) {
  const std::string models = std::string(GRAM_SOURCE_DIR) + "/models/";
  auto search_sweep = [&](const std::string& output) {
    return "sweep --models small=" + models + "sudoku6-gram-small.safetensors --puzzles " +
           models + "data/sudoku6-test.txt --limit 150 --budgets 4,64 --strategies width"
           " --fixed_depth 4 --threads 1 --aggregators majority --searches smc --search_rows 16"
           " --search_temperature 0.001 --output " + path(output);
  };
  BackgroundCommand job(mpi(2, search_sweep("stopped"), path("logs")), path("job.out"));
  const std::string rank1_log = path("logs") + "/rank-1.log";
  ASSERT_TRUE(job.wait_until(
      [&] { return read(rank1_log).find("search small-smc-r16-d4: start") != std::string::npos; },
      300))
      << job.output();
  std::string output;
  ASSERT_NO_FATAL_FAILURE(sigterm_rank_one(job, output));
  EXPECT_NE(output.find("run small-smc-r16-d4 will run again"), std::string::npos) << output;
  expect_both_ranks_logged("search stopping on SIGTERM");
  for (const auto& record : complete_records(path("stopped") + "/cells.jsonl")) {
    EXPECT_NE(record["type"], "search");
  }
  const Shell resumed = shell(mpi(2, search_sweep("stopped"), path("resume-logs")));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("1 runs executed"), std::string::npos) << resumed.output;
  const Command whole = run(search_sweep("whole"));
  ASSERT_EQ(whole.status, 0) << whole.output;
  EXPECT_EQ(comparable_sweep(path("stopped")), comparable_sweep(path("whole")));
  EXPECT_EQ(raw_runs(path("stopped")), raw_runs(path("whole")));
}

}  // namespace
