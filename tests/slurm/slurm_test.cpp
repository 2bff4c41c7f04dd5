// The project's sbatch scripts on a real one-node Slurm cluster started for this suite
// (tests/slurm/local_cluster.sh: munged with a generated key, slurmctld and slurmd with a
// generated slurm.conf, all under a temporary directory and stopped afterwards). The MPI sweep
// script on 2 ranks, the job array with its final merging pass, a job requeued mid-sweep, and
// jobs stopped by scancel (SIGTERM, and SIGKILL) then submitted again must all give the cells of a
// single-process sweep. Skipped, with the reason, where the cluster cannot start (not root,
// Slurm or munge not installed) or the build has no MPI.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/cli_fixture.h"
#include "common/distributed_results.h"
#include "common/held_processes.h"
#include "common/rank_log.h"

namespace {

using namespace gram::testing;

class Slurm : public GramCli {
 protected:
  static void SetUpTestSuite() {
    cluster_ = fs::temp_directory_path() / ("gram_slurm_" + std::to_string(::getpid()));
    fs::remove_all(cluster_);
    if (!GRAM_HAS_MPI) {
      skip_reason_ = "this build has no MPI (GRAM_MPI=OFF)";
      return;
    }
    const Shell started = shell("bash " + script() + " start " + cluster_.string() + " " +
                                std::to_string(::getpid()));
    if (started.status != 0) {
      skip_reason_ = "no local Slurm cluster: " + started.output;
      return;
    }
    ::setenv("SLURM_CONF", (cluster_ / "slurm.conf").c_str(), 1);
  }
  static void TearDownTestSuite() {
    if (fs::exists(cluster_)) shell("bash " + script() + " stop " + cluster_.string());
    fs::remove_all(cluster_);
    ::unsetenv("SLURM_CONF");
  }
  static std::string script() {
    return std::string(GRAM_SOURCE_DIR) + "/tests/slurm/local_cluster.sh";
  }

  void SetUp() override {
    GramCli::SetUp();
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    const std::string config = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json";
    ASSERT_EQ(run("generate --random-model " + config + " --seed 5 --output " + path("m.safetensors")).status, 0);
    ASSERT_EQ(run("generate --task sudoku:4 --count 8 --seed 9 --output " + path("p.txt")).status, 0);
    write("sweep.yaml", "models: [tiny=" + path("m.safetensors") + "]\npuzzles: " + path("p.txt") +
                            "\nbudgets: [2, 4, 8]\nfixed_depth: 2\nhalting: [off, on]\n");
    const Command single = run("sweep --config " + path("sweep.yaml") + " --threads 1 --output " +
                               path("single"));
    ASSERT_EQ(single.status, 0) << single.output;
  }

  // sbatch options and environment shared by the tests: this cluster's partition, one core per
  // rank, the job's files in this test's directory.
  std::string submit_environment(const std::string& output,
                                 const std::string& config = "sweep.yaml") const {
    return "cd " + dir_.string() + " && GRAM=" + GRAM_EXECUTABLE + " SWEEP_CONFIG=" +
           path(config) + " OUTPUT=" + path(output) + " LOG_ROOT=" + path("logs") + " ";
  }
  static std::string job_options() {
    return "--wait --partition=debug --cpus-per-task=1 --time=00:05:00 ";
  }

  // The job's output files, for failure messages.
  std::string job_outputs() const {
    std::string text;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().extension() != ".out") continue;
      std::ifstream file(entry.path());
      text += "== " + entry.path().filename().string() + "\n" +
              std::string(std::istreambuf_iterator<char>(file), {});
    }
    return text;
  }

  // Submits the sweep script (two ranks) on `config` into `output` without waiting; the job id.
  std::string submit(const std::string& config, const std::string& output) const {
    const Shell submitted = shell(submit_environment(output, config) +
                                  "sbatch --parsable --partition=debug --cpus-per-task=1 "
                                  "--nodes=1 --ntasks-per-node=2 " +
                                  GRAM_SOURCE_DIR + "/slurm/sweep-cpu.sbatch");
    EXPECT_EQ(submitted.status, 0) << submitted.output;
    return submitted.output.substr(0, submitted.output.find_first_of(";\n"));
  }
  // Polls until `output` holds the context and a cell (the middle of the sweep).
  bool wait_for_a_cell(const std::string& output, double seconds) const {
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    while (complete_records(path(output) + "/cells.jsonl").size() < 2) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
  }
  // The pids of job `job`'s two ranks, from their logs (slurm/sweep-cpu.sbatch names the
  // directory after the job).
  std::vector<pid_t> rank_pids(const std::string& job) const {
    std::vector<pid_t> pids;
    for (const auto& job_logs : fs::directory_iterator(path("logs"))) {
      if (!job_logs.path().filename().string().ends_with("-" + job)) continue;
      for (int rank : {0, 1}) {
        pids.push_back(pid_in_rank_log((job_logs.path() / ("rank-" + std::to_string(rank) +
                                                           ".log")).string()));
      }
    }
    return pids;
  }
  // Runs `command`, which makes Slurm signal job `job`'s tasks, while the ranks are held
  // stopped until `signal` reaches them: slurmd takes its time, and on a fast machine the
  // ranks would otherwise finish the sweep first.
  void signal_held_ranks(const std::string& job, const std::string& command, int signal) const {
    HeldProcesses ranks(rank_pids(job));
    ASSERT_TRUE(ranks.held()) << job_outputs();
    ASSERT_TRUE(shell("squeue -h -o %T -j " + job).output.starts_with("RUNNING"))
        << "the job ended before the signal; make it larger\n" << job_outputs();
    const Shell sent = shell(command);
    ASSERT_EQ(sent.status, 0) << command << "\n" << sent.output;
    if (!ranks.release_once_signalled(signal, 10)) {
      std::printf("note: signal %d was not seen waiting on both held ranks within 10 s of %s\n",
                  signal, command.c_str());
    }
  }
  // Polls until the job has left the queue.
  static bool wait_until_gone(const std::string& job, double seconds) {
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    while (!shell("squeue -h -j " + job).output.empty()) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return true;
  }
  static std::vector<nlohmann::json> sorted(std::vector<nlohmann::json> records) {
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.dump() < b.dump(); });
    return records;
  }
  // The config of the interrupted-job tests: large enough that the job still runs after its
  // first run's cells are on file.
  void write_big_sweep() const {
    ASSERT_EQ(run("generate --task sudoku:4 --count 80 --seed 3 --output " + path("many.txt")).status, 0);
    write("big.yaml", "models: [tiny=" + path("m.safetensors") + "]\npuzzles: " + path("many.txt") +
                          "\nbudgets: [4, 8, 16]\nfixed_depth: 4\nhalting: [off]\n");
  }
  // scancel with `signal` in the middle of the sweep, submit again, and the cells of one
  // process.
  void signal_resubmit_and_compare(const std::string& signal, const std::string& expected_line) {
    write_big_sweep();
    const std::string job = submit("big.yaml", "signalled");
    ASSERT_TRUE(wait_for_a_cell("signalled", 120)) << job_outputs();
    ASSERT_NO_FATAL_FAILURE(signal_held_ranks(job, "scancel --signal=" + signal + " " + job,
                                              signal == "KILL" ? SIGKILL : SIGTERM));
    ASSERT_TRUE(wait_until_gone(job, 120) ||
                shell("squeue -h -o %T -j " + job).output.starts_with("COMPLET"))
        << "job still running 120 s after scancel --signal=" << signal << "\n" << job_outputs();
    const std::string stopped = job_outputs();
    if (!expected_line.empty()) EXPECT_NE(stopped.find(expected_line), std::string::npos) << stopped;
    // Whole records survive; a clean stop also leaves no torn line.
    EXPECT_GE(complete_records(path("signalled") + "/cells.jsonl").size(), 2u);
    if (!expected_line.empty()) {
      std::ifstream file(path("signalled") + "/cells.jsonl");
      const std::string cells((std::istreambuf_iterator<char>(file)), {});
      EXPECT_EQ(cells.back(), '\n');
    }

    // The job ended (srun's tasks exited 143, or were killed); submitting it again resumes. A
    // requeue of the ended job would too, but its new step can race the old step's clean-up
    // in slurmd ("step aborted before step completely launched"); RequeuedJobResumesTheSweep
    // covers requeue.
    const Shell again = shell(submit_environment("signalled", "big.yaml") + "sbatch " +
                              job_options() + "--nodes=1 --ntasks-per-node=2 " +
                              GRAM_SOURCE_DIR + "/slurm/sweep-cpu.sbatch");
    ASSERT_EQ(again.status, 0) << again.output << job_outputs();
    const std::string outputs = job_outputs();
    EXPECT_NE(outputs.find("from an earlier attempt"), std::string::npos) << outputs;
    EXPECT_EQ(outputs.find(" 0 from an earlier attempt"), std::string::npos) << outputs;
    const Command single = run("sweep --config " + path("big.yaml") + " --threads 1 --output " +
                               path("big-single"));
    ASSERT_EQ(single.status, 0) << single.output;
    EXPECT_EQ(sorted(comparable_sweep(path("signalled"))),
              sorted(comparable_sweep(path("big-single"))));
    EXPECT_EQ(raw_runs(path("signalled")), raw_runs(path("big-single")));
  }

  static inline fs::path cluster_;
  static inline std::string skip_reason_;
};

TEST_F(Slurm, MpiSweepScriptOnTwoRanksEqualsOneProcess) {
  const Shell job = shell(submit_environment("mpi") + "sbatch " + job_options() +
                          "--nodes=1 --ntasks-per-node=2 " + GRAM_SOURCE_DIR +
                          "/slurm/sweep-cpu.sbatch");
  ASSERT_EQ(job.status, 0) << job.output << job_outputs();
  EXPECT_EQ(comparable_sweep(path("mpi")), comparable_sweep(path("single"))) << job_outputs();
  EXPECT_EQ(raw_runs(path("mpi")), raw_runs(path("single")));
  EXPECT_EQ(complete_records(path("mpi") + "/cells.jsonl").front()["world_size"], 2);
  // One log per rank, in a directory named by job.
  int rank_logs = 0;
  for (const auto& job_logs : fs::directory_iterator(path("logs"))) {
    EXPECT_NE(job_logs.path().filename().string().find("gram-sweep-cpu-"), std::string::npos);
    for (const auto& log : fs::directory_iterator(job_logs.path())) {
      rank_logs += log.path().filename().string().starts_with("rank-") ? 1 : 0;
    }
  }
  EXPECT_EQ(rank_logs, 2);
}

TEST_F(Slurm, JobArrayAndFinalPassEqualOneProcess) {
  const Shell submitted =
      shell(submit_environment("array") + "bash " + GRAM_SOURCE_DIR + "/slurm/submit-array.sh 2 " +
            job_options());
  ASSERT_EQ(submitted.status, 0) << submitted.output << job_outputs();
  // Each task ran its share; the final pass only merged.
  EXPECT_TRUE(fs::exists(path("array") + "/shards/0-of-2/cells.jsonl")) << job_outputs();
  EXPECT_TRUE(fs::exists(path("array") + "/shards/1-of-2/cells.jsonl")) << job_outputs();
  EXPECT_NE(job_outputs().find("0 runs executed"), std::string::npos) << job_outputs();
  EXPECT_EQ(comparable_sweep(path("array")), comparable_sweep(path("single"))) << job_outputs();
  EXPECT_EQ(raw_runs(path("array")), raw_runs(path("single")));
}

TEST_F(Slurm, RequeuedJobResumesTheSweep) {
  // Large enough that the job is still running after its first run's cells are on file.
  ASSERT_EQ(run("generate --task sudoku:4 --count 80 --seed 3 --output " + path("many.txt")).status, 0);
  write("big.yaml", "models: [tiny=" + path("m.safetensors") + "]\npuzzles: " + path("many.txt") +
                        "\nbudgets: [4, 8, 16]\nfixed_depth: 4\nhalting: [off]\n");
  const Shell submitted = shell(
      "cd " + dir_.string() + " && GRAM=" + GRAM_EXECUTABLE + " SWEEP_CONFIG=" + path("big.yaml") +
      " OUTPUT=" + path("requeued") + " LOG_ROOT=" + path("logs") +
      " sbatch --parsable --partition=debug --cpus-per-task=1 --nodes=1 --ntasks-per-node=2 " +
      GRAM_SOURCE_DIR + "/slurm/sweep-cpu.sbatch");
  ASSERT_EQ(submitted.status, 0) << submitted.output;
  const std::string job = submitted.output.substr(0, submitted.output.find_first_of(";\n"));

  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  while (complete_records(path("requeued") + "/cells.jsonl").size() < 2 && seconds() < 60) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(complete_records(path("requeued") + "/cells.jsonl").size(), 2u) << job_outputs();
  // Requeue (what a preemption or node failure does), then lift Slurm's two-minute hold on
  // requeued jobs so the test need not wait for it.
  ASSERT_NO_FATAL_FAILURE(signal_held_ranks(job, "scontrol requeue " + job, SIGTERM));
  for (int attempt = 0; attempt < 150; ++attempt) {
    // The hold is set when the job is pending again, after its old step has ended.
    if (shell("squeue -h -o %T -j " + job).output.starts_with("PENDING")) {
      const Shell lifted = shell("scontrol update JobId=" + job + " StartTime=now");
      ASSERT_EQ(lifted.status, 0) << lifted.output;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  while (seconds() < 150 && !shell("squeue -h -j " + job).output.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(shell("squeue -h -j " + job).output.empty()) << "job still queued\n" << job_outputs();

  const std::string outputs = job_outputs();
  EXPECT_NE(outputs.find("(restart 1)"), std::string::npos) << outputs;
  EXPECT_NE(outputs.find("from an earlier attempt"), std::string::npos) << outputs;
  EXPECT_EQ(outputs.find(" 0 from an earlier attempt"), std::string::npos) << outputs;
  const Command single = run("sweep --config " + path("big.yaml") + " --threads 1 --output " +
                             path("big-single"));
  ASSERT_EQ(single.status, 0) << single.output;
  auto sorted = [](std::vector<nlohmann::json> records) {
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.dump() < b.dump(); });
    return records;
  };
  EXPECT_EQ(sorted(comparable_sweep(path("requeued"))), sorted(comparable_sweep(path("big-single"))));
}

// What Slurm does on scancel, time-out and pre-emption before its SIGKILL: SIGTERM to every
// task. Every rank stops at a safe point, rank 0 says what is on file, and the job submitted
// again resumes.
TEST_F(Slurm, ScancelWithSigtermStopsTheRanksAndASecondJobResumes) {
  signal_resubmit_and_compare("TERM", "gram: sweep stopped by SIGTERM: ");
}

// A hard kill (SIGKILL to every task, as after KillWait or on a lost node): the cells on file
// survive whole and the job submitted again resumes from them.
TEST_F(Slurm, HardKilledJobResumesInASecondJob) {
  signal_resubmit_and_compare("KILL", "");
}

}  // namespace
