#pragma once
// Progress of a long sweep on stderr: a line rewritten in place with the share of work done
// and an ETA when stderr is a terminal, otherwise (a log file, Slurm output) one plain line
// per finished run, so logs stay readable.
#include <chrono>
#include <cstdint>
#include <string>

namespace gram::sweep {

class Progress {
 public:
  // `total_work` in any unit (the sweep counts trajectory-steps); 0 disables the output.
  explicit Progress(double total_work);
  void start_run(const std::string& label);    // "run 2/5 small w16 d4 (no halting)"
  void advance(double work);                   // may be called often; prints at most 2x/s
  void finish_run(double seconds);

 private:
  std::string eta_text() const;
  void print_line(bool force);

  double total_ = 0.0;
  double done_ = 0.0;
  bool terminal_ = false;
  std::string label_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

// "1h02m", "3m07s", "12s".
std::string format_duration(double seconds);

}  // namespace gram::sweep
