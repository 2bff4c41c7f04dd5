#pragma once
// Stopping cleanly on SIGTERM and SIGINT: what Slurm sends on time-out, scancel and pre-emption
// (KillWait seconds before SIGKILL), what mpirun forwards to its ranks, and Ctrl-C.
//
// The handler only records the signal (async-signal-safe: one store to a lock-free atomic) and
// restores the default action, so a second signal ends the process at once. The run loops poll
// stop_requested() at their safe points (between supervision steps) and throw Stopped; the
// command that owns the result files says what is on disk and how to resume, and main() exits
// with stop_exit_status(), 128 + the signal (143 for SIGTERM, 130 for SIGINT), the shell's
// convention for "ended by this signal", which no error path of the engine uses.
//
//   gram::install_stop_handlers();          // once, in main()
//   if (gram::stop_requested()) throw gram::Stopped(gram::stop_signal());
#include <stdexcept>
#include <string>

namespace gram {

void install_stop_handlers();

// The signal that asked this process to stop, or 0.
int stop_signal();
inline bool stop_requested() { return stop_signal() != 0; }
// Records a stop as if `signal` had arrived: a rank told by another to stop, and tests.
void request_stop(int signal);

// "SIGTERM", "SIGINT", else "signal N".
std::string signal_name(int signal);
// 128 + signal.
inline int stop_exit_status(int signal) { return 128 + signal; }

// Thrown from a safe point after a stop signal. Not a gram::Error: it is not the user's
// mistake, and main() reports it with its own status, not "gram: error". The command that owns
// the results rethrows it with a message saying what was saved and how to resume, which main()
// prints as the one line "gram: <message>".
class Stopped : public std::runtime_error {
 public:
  explicit Stopped(int signal)
      : std::runtime_error("stopped by " + signal_name(signal) +
                           "; every record already written is whole"),
        signal_(signal) {}
  Stopped(int signal, const std::string& message)
      : std::runtime_error(message), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

// Throws Stopped when a stop was requested.
inline void throw_if_stop_requested() {
  if (const int signal = stop_signal(); signal != 0) throw Stopped(signal);
}

}  // namespace gram
