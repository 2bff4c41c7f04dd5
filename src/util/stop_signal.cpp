#include "util/stop_signal.h"

#include <atomic>
#include <csignal>

namespace gram {
namespace {

// Lock-free, so that the store in the handler is async-signal-safe.
std::atomic<int> received{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void record_stop(int signal) { received.store(signal, std::memory_order_relaxed); }

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = record_stop;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: a second signal takes the default action and ends the process at once, for
  // someone who does not want to wait for the safe point. SA_RESTART: an interrupted write(2)
  // or MPI wait carries on rather than failing with EINTR.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  for (int signal : {SIGTERM, SIGINT}) ::sigaction(signal, &action, nullptr);
}

int stop_signal() { return received.load(std::memory_order_relaxed); }

void request_stop(int signal) { received.store(signal, std::memory_order_relaxed); }

std::string signal_name(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal " + std::to_string(signal);
  }
}

}  // namespace gram
