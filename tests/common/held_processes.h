#pragma once
// Processes held stopped (SIGSTOP) while a signal travels to them through a launcher: slurmctld
// and slurmd carrying out a scancel or a requeue take their time on a busy machine, and a fast
// machine finishes a test-sized sweep in that time; held still, the ranks cannot get past the
// point the test chose, however fast the machine or slow the launcher. Not for mpirun: Open
// MPI 4.1 continues its ranks, then sends SIGTERM a second later (odls_base_sigkill_timeout),
// and kills a rank stopped again in between. Linux only: it reads /proc/PID/status.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace gram::testing {

class HeldProcesses {
 public:
  // Stops every process of `pids` and waits until the kernel says each is stopped (or gone).
  // Holds nothing when a pid is missing (0: kill(0, ...) would stop the test itself).
  explicit HeldProcesses(std::vector<pid_t> pids) : pids_(std::move(pids)) {
    if (pids_.empty() || std::ranges::any_of(pids_, [](pid_t pid) { return pid <= 0; })) {
      pids_.clear();
      return;
    }
    for (pid_t pid : pids_) ::kill(pid, SIGSTOP);
    held_ = wait_for_all([](const Status& status) { return status.state != "T"; }, 10);
  }
  ~HeldProcesses() { release(); }
  HeldProcesses(const HeldProcesses&) = delete;
  HeldProcesses& operator=(const HeldProcesses&) = delete;

  // Whether every process was seen stopped.
  bool held() const { return held_; }

  // Waits until `signal` waits for each process, or the launcher continued it (slurmstepd
  // sends SIGCONT and SIGTERM back to back when it ends a job), or it is gone; then continues
  // them all. False when none of that happened within `seconds`.
  bool release_once_signalled(int signal, double seconds) {
    const unsigned long long bit = 1ULL << (signal - 1);
    const bool arrived = wait_for_all(
        [&](const Status& status) { return status.state == "T" && !(status.pending & bit); },
        seconds);
    release();
    return arrived;
  }

  void release() const {
    for (pid_t pid : pids_) ::kill(pid, SIGCONT);
  }

 private:
  struct Status {
    std::string state;                // "R", "S", "T", ...; empty once the process is gone
    unsigned long long pending = 0;   // signals sent and not yet taken (ShdPnd | SigPnd)
  };
  static Status read_status(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/status");
    Status status;
    for (std::string line; std::getline(file, line);) {
      if (line.starts_with("State:")) {
        status.state = line.substr(line.find_first_not_of(" \t", 6), 1);
      }
      if (line.starts_with("ShdPnd:") || line.starts_with("SigPnd:")) {
        status.pending |= std::stoull(line.substr(7), nullptr, 16);
      }
    }
    if (status.state == "Z" || status.state == "X") status.state.clear();
    return status;
  }
  // Polls every 5 ms until `still_waiting` is false for every live process, or `seconds` pass.
  template <typename Predicate>
  bool wait_for_all(Predicate still_waiting, double seconds) const {
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    while (std::chrono::steady_clock::now() < end) {
      bool waiting = false;
      for (pid_t pid : pids_) {
        const Status status = read_status(pid);
        waiting = waiting || (!status.state.empty() && still_waiting(status));
      }
      if (!waiting) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  std::vector<pid_t> pids_;
  bool held_ = false;
};

}  // namespace gram::testing
