#pragma once
// A `gram` command started in the background, for the fault tests: poll its result files while
// it runs, signal it at a chosen point, and wait for it with a bound rather than forever.
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace gram::testing {

class BackgroundCommand {
 public:
  // Runs `command` through sh with its stdout and stderr in `log`. `exec` makes the shell
  // become the command, so that pid() is the command's own process, the one to signal.
  BackgroundCommand(const std::string& command, const std::string& log) : log_(log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);  // its own group: the test can end all of it (mpirun's ranks too)
      const std::string line = "exec " + command + " > " + log + " 2>&1";
      ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~BackgroundCommand() {
    if (pid_ > 0 && !status_) {
      ::kill(-pid_, SIGKILL);
      int ignored = 0;
      ::waitpid(pid_, &ignored, 0);
    }
  }
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }

  // The exit status once it ended (128 + signal when a signal ended it), else nothing.
  std::optional<int> poll() {
    if (status_ || pid_ <= 0) return status_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    }
    return status_;
  }

  // Polls `ready` every 20 ms until it holds (true), the command ends or `seconds` pass (false).
  bool wait_until(const std::function<bool()>& ready, double seconds) {
    const auto end = deadline(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (ready()) return true;
      if (poll()) return ready();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Waits up to `seconds` for the end; nothing when it is still running.
  std::optional<int> wait(double seconds) {
    const auto end = deadline(seconds);
    while (!poll() && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return status_;
  }

  bool signal(int number) const { return ::kill(pid_, number) == 0; }

  std::string output() const {
    std::ifstream file(log_);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

 private:
  static std::chrono::steady_clock::time_point deadline(double seconds) {
    return std::chrono::steady_clock::now() +
           std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  }
  pid_t pid_ = -1;
  std::string log_;
  std::optional<int> status_;
};

}  // namespace gram::testing
