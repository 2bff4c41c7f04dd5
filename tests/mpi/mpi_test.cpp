// `gram sweep` and `gram run` under mpirun: 2 and 3 ranks give the single process's results
// (timing and world size aside), adaptive and budget-allocated runs included, an error on a
// rank ends the job with the rank named, and a rank killed mid-sweep ends the job in bounded
// time, leaving finished cells that a resume completes. Skipped, with the reason, without
// mpirun or in a build without GRAM_MPI.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <numeric>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cli_fixture.h"
#include "common/distributed_results.h"
#include "common/rank_log.h"

namespace {

using namespace gram::testing;

class Mpi : public GramCli {
 protected:
  void SetUp() override {
    GramCli::SetUp();
    if (!GRAM_HAS_MPI) GTEST_SKIP() << "this build has no MPI (GRAM_MPI=OFF)";
    mpirun_ = find_program("mpirun");
    if (mpirun_.empty()) GTEST_SKIP() << "mpirun is not on PATH (Debian: openmpi-bin)";
    const std::string config = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json";
    ASSERT_EQ(run("generate --random-model " + config + " --seed 5 --output " + path("m.safetensors")).status, 0);
    ASSERT_EQ(run("generate --task sudoku:4 --count 8 --seed 9 --output " + path("p.txt")).status, 0);
  }
  // mpirun as root on a machine with fewer cores than ranks, every process started here.
  std::string mpi(int ranks, const std::string& arguments, const std::string& log_dir = "") const {
    return (log_dir.empty() ? "" : "GRAM_LOG_DIR=" + log_dir + " ") + mpirun_ +
           " --oversubscribe --allow-run-as-root --bind-to none -np " + std::to_string(ranks) +
           " " + GRAM_EXECUTABLE + " " + arguments;
  }
  std::string sweep(const std::string& output, const std::string& puzzles = "p.txt",
                    const std::string& budgets = "2,4,8") const {
    return "sweep --models tiny=" + path("m.safetensors") + " --puzzles " + path(puzzles) +
           " --output " + path(output) + " --budgets " + budgets +
           " --fixed_depth 2 --halting off,on --threads 1";
  }
  // `gram run` on the shipped trained model over 6x6 puzzles with 10 givens, sparser than any it
  // was trained on: its first answers agree on some puzzles and not on others, so adaptive runs
  // have puzzles to close early and puzzles to keep sampling, and searches have rows to select.
  std::string trained_run(const std::string& adaptive) const {
    const std::string puzzles = path("sparse6.txt");
    if (!std::filesystem::exists(puzzles)) {
      EXPECT_EQ(run("generate --task sudoku:6 --count 24 --seed 11 --givens 10 --output " + puzzles).status, 0);
    }
    const std::string models = std::string(GRAM_SOURCE_DIR) + "/models/";
    return "run --model " + models + "sudoku6-gram-small.safetensors --puzzles " + puzzles +
           " --limit 24 --depth 3 --halting false --threads 1 " + adaptive;
  }
  // Trajectories drawn per puzzle, in puzzle order.
  static std::vector<std::size_t> drawn(const std::vector<nlohmann::json>& records) {
    std::vector<std::size_t> counts;
    for (const auto& record : records) {
      if (record["type"] == "puzzle") counts.push_back(record["trajectories"].size());
    }
    return counts;
  }
  // Runs `arguments` on one process and under mpirun on each of `ranks`; every rank count must
  // write the single process's records. Returns the single process's records.
  std::vector<nlohmann::json> same_on_ranks(const std::string& arguments,
                                            std::initializer_list<int> ranks) const {
    const Command single = run(arguments + " --output " + path("one.jsonl"));
    EXPECT_EQ(single.status, 0) << single.output;
    const auto expected = comparable_run(path("one.jsonl"));
    for (int count : ranks) {
      const std::string output = path("ranks" + std::to_string(count) + ".jsonl");
      // Ranks that disagree on the work list wait on each other: bounded, and said so.
      const Shell job = shell("timeout 120 " + mpi(count, arguments + " --output " + output));
      EXPECT_NE(job.status, 124) << "the job hung on " << count << " ranks: " << job.output;
      EXPECT_EQ(job.status, 0) << job.output;
      const auto records = comparable_run(output);
      EXPECT_EQ(drawn(records), drawn(expected)) << count << " ranks";
      EXPECT_EQ(records, expected) << count << " ranks";
      if (!records.empty()) EXPECT_EQ(complete_records(output).front()["world_size"], count);
    }
    return expected;
  }
  std::string mpirun_;
};

// With latent searches too, which run on rank 0 after the width runs: their records and raw
// files are those of one process.
TEST_F(Mpi, SweepOnTwoAndThreeRanksEqualsOneProcess) {
  const std::string searches = " --searches smc,beam --search_rows 2,4 --search_temperature 0.01";
  const Command single = run(sweep("one") + searches);
  ASSERT_EQ(single.status, 0) << single.output;
  std::size_t search_records = 0;
  for (const auto& record : complete_records(path("one") + "/cells.jsonl")) {
    search_records += record["type"] == "search" ? 1 : 0;
  }
  EXPECT_EQ(search_records, 4u);
  for (int ranks : {2, 3}) {
    const std::string output = "ranks" + std::to_string(ranks);
    const Shell job = shell(mpi(ranks, sweep(output) + searches));
    ASSERT_EQ(job.status, 0) << job.output;
    EXPECT_EQ(comparable_sweep(path(output)), comparable_sweep(path("one"))) << ranks << " ranks";
    EXPECT_EQ(raw_runs(path(output)), raw_runs(path("one"))) << ranks << " ranks";
    const auto records = complete_records(path(output) + "/cells.jsonl");
    EXPECT_EQ(records.front()["world_size"], ranks);
    // Rank 0 alone reports: one summary line, not one per rank.
    std::size_t summaries = 0;
    for (std::size_t at = 0; (at = job.output.find("runs executed", at)) != std::string::npos; ++at) {
      ++summaries;
    }
    EXPECT_EQ(summaries, 1u) << job.output;
  }
  EXPECT_EQ(complete_records(path("one") + "/cells.jsonl").front()["world_size"], 1);
}

TEST_F(Mpi, RunOnTwoAndThreeRanksEqualsOneProcess) {
  const std::string arguments = "run --model " + path("m.safetensors") + " --puzzles " +
                                path("p.txt") + " --width 5 --depth 6 --halting true --threads 1";
  ASSERT_EQ(run(arguments + " --output " + path("one.jsonl")).status, 0);
  for (int ranks : {2, 3}) {
    const std::string output = path("ranks" + std::to_string(ranks) + ".jsonl");
    const Shell job = shell(mpi(ranks, arguments + " --output " + output));
    ASSERT_EQ(job.status, 0) << job.output;
    EXPECT_EQ(comparable_run(output), comparable_run(path("one.jsonl"))) << ranks << " ranks";
    EXPECT_EQ(complete_records(output).front()["world_size"], ranks);
  }
}

// Rank 0 allocates the budget from every rank's first-round answers and broadcasts it: the
// answers, trajectories drawn and applications of every puzzle, and the accuracy, are the single
// process's.
TEST_F(Mpi, AllocateOnTwoAndThreeRanksEqualsOneProcess) {
  const auto records =
      same_on_ranks(trained_run("--adaptive allocate --round 4 --width 16 --budget 6"), {2, 3});
  const auto counts = drawn(records);
  ASSERT_EQ(counts.size(), 24u);
  // Were every puzzle given the same width, ranks that ignored rank 0's widths would still agree:
  // some puzzles must get nothing past the first round and some more, one of them a share below
  // the cap (the proportional split, not only full puzzles), the whole budget (6 x 24) spent.
  EXPECT_GT(std::count(counts.begin(), counts.end(), 4u), 0);
  EXPECT_GT(std::count_if(counts.begin(), counts.end(), [](std::size_t n) { return n > 4; }), 0);
  EXPECT_GT(std::count_if(counts.begin(), counts.end(),
                          [](std::size_t n) { return n > 4 && n < 16; }),
            0);
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), std::size_t{0}), 144u);
  EXPECT_EQ(records.back()["trajectories"], 144);
}

// Rank 0 decides after each round which puzzles stay open and broadcasts them.
TEST_F(Mpi, AdaptiveBetaOnTwoRanksEqualsOneProcess) {
  const auto records = same_on_ranks(
      trained_run("--adaptive beta --stop_threshold 0.9 --round 2 --width 8"), {2});
  const auto counts = drawn(records);
  ASSERT_EQ(counts.size(), 24u);
  // Some puzzle closes before the width while another runs on, so the open set the broadcast
  // carries changes between rounds.
  const auto [fewest, most] = std::minmax_element(counts.begin(), counts.end());
  EXPECT_LT(*fewest, 8u);
  EXPECT_LT(*fewest, *most);
}

// A search shares whole puzzles out over the ranks; its noise and resampling are keyed by the
// puzzle's place in the file, so every rank count writes the single process's records.
TEST_F(Mpi, SearchOnTwoAndThreeRanksEqualsOneProcess) {
  for (const std::string search : {"--search smc --particles 4 --temperature 0.01 --overwrite",
                                   "--search beam --beams 2 --expand 2 --overwrite"}) {
    const auto records = same_on_ranks(trained_run(search), {2, 3});
    std::int64_t copies = 0;
    for (const auto& record : records) {
      if (record["type"] == "puzzle") copies += record["search"]["state_copies"].get<std::int64_t>();
    }
    EXPECT_GT(copies, 0) << search << ": the search never selected, so it tests nothing";
  }
}

// The samplers on the shipped deterministic model: with zero scale and rate, 1 and 3 ranks
// write the deterministic run's records byte for byte (timing aside); with noise and dropout,
// 3 ranks write the single process's records, their diverse trajectories included.
TEST_F(Mpi, SamplersOnThreeRanksEqualsOneProcess) {
  const std::string models = std::string(GRAM_SOURCE_DIR) + "/models/";
  const std::string base = "run --model " + models + "sudoku6-trm-small.safetensors --puzzles " +
                           models + "data/sudoku6-test-hard.txt --limit 12 --width 4 --depth 3 "
                           "--threads 1 --seed 2 --overwrite ";
  ASSERT_EQ(run(base + "--output " + path("plain.jsonl")).status, 0);
  auto without_context = [](std::vector<nlohmann::json> records) {
    std::vector<std::string> bytes;
    for (const auto& record : records) {
      if (record["type"] != "context") bytes.push_back(record.dump());
    }
    return bytes;
  };
  const auto plain = without_context(comparable_run(path("plain.jsonl")));
  const std::string zero = base + "--noise_scale 0 --noise_at h,l --dropout_rate 0 ";
  same_on_ranks(zero, {3});
  EXPECT_EQ(without_context(comparable_run(path("one.jsonl"))), plain) << "1 rank, zero sampler";
  EXPECT_EQ(without_context(comparable_run(path("ranks3.jsonl"))), plain) << "3 ranks, zero sampler";
  const auto noisy = same_on_ranks(base + "--noise_scale 0.5 --dropout_rate 0.1 ", {3});
  EXPECT_NE(without_context(noisy), plain);
}

TEST_F(Mpi, ErrorOnARankEndsTheJobNamingRankAndHost) {
  write("taken.jsonl", "{}\n");
  const auto start = std::chrono::steady_clock::now();
  const Shell job = shell("timeout 120 " + mpi(2, "run --model " + path("m.safetensors") +
                                                      " --puzzles " + path("p.txt") +
                                                      " --output " + path("taken.jsonl")));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(job.status, 0) << job.output;
  EXPECT_NE(job.status, 124) << "the job hung: " << job.output;
  EXPECT_LT(seconds, 60.0);
  EXPECT_TRUE(std::regex_search(job.output, std::regex("gram: error: rank 0 on [^:]+: .*taken\\.jsonl: exists")))
      << job.output;
}

TEST_F(Mpi, KilledRankEndsTheJobAndResumeCompletesTheSweep) {
  ASSERT_EQ(run("generate --task sudoku:4 --count 60 --seed 3 --output " + path("many.txt")).status, 0);
  const std::string arguments = sweep("killed", "many.txt", "2,4,8,16");
  const std::string logs = path("logs");
  const std::string job_output = path("job.out");

  const pid_t job = ::fork();
  ASSERT_GE(job, 0);
  if (job == 0) {
    ::setpgid(0, 0);
    const std::string command = mpi(2, arguments, logs) + " > " + job_output + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Once rank 0 has written the first run's cells, SIGKILL rank 1 (its pid is in its log).
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  pid_t victim = 0;
  int status = 0;
  bool exited = false;
  while (seconds() < 120 && victim == 0 && !exited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    exited = ::waitpid(job, &status, WNOHANG) == job;
    if (complete_records(path("killed") + "/cells.jsonl").size() < 2) continue;
    victim = pid_in_rank_log(logs + "/rank-1.log");
  }
  ASSERT_FALSE(exited) << "the sweep ended before a rank could be killed; make it larger";
  ASSERT_NE(victim, 0) << "no cells or no rank-1 log after " << seconds() << " s";
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  const double killed_at = seconds();
  while (!exited && seconds() < killed_at + 60) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    exited = ::waitpid(job, &status, WNOHANG) == job;
  }
  if (!exited) {
    ::kill(-job, SIGKILL);
    ::waitpid(job, &status, 0);
  }
  ASSERT_TRUE(exited) << "the job did not end within 60 s of a rank's death";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "status " << status;
  std::ifstream text(job_output);
  std::stringstream message;
  message << text.rdbuf();
  EXPECT_NE(message.str().find("exited on signal 9"), std::string::npos) << message.str();

  // Finished cells are on disk and parse; the rest of the plan is missing.
  const auto partial = complete_records(path("killed") + "/cells.jsonl");
  ASSERT_GE(partial.size(), 2u);
  EXPECT_EQ(partial.front()["type"], "context");

  // A resume on two ranks completes the sweep, equal to a single process's.
  const Shell resumed = shell(mpi(2, arguments));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("from an earlier attempt"), std::string::npos) << resumed.output;
  EXPECT_EQ(resumed.output.find(" 0 from an earlier attempt"), std::string::npos) << resumed.output;
  ASSERT_EQ(run(arguments + " --output " + path("whole")).status, 0);
  auto sorted = [](std::vector<nlohmann::json> records) {
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.dump() < b.dump(); });
    return records;
  };
  // The resumed file holds the same records; only their order can differ (resumed runs last).
  EXPECT_EQ(sorted(comparable_sweep(path("killed"))), sorted(comparable_sweep(path("whole"))));
}

}  // namespace
