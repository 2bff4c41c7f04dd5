#include "distributed/deadline.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "util/error.h"

namespace gram::dist {

double nccl_timeout_seconds() {
  const char* value = std::getenv("GRAM_NCCL_TIMEOUT");
  if (value == nullptr || *value == '\0') return 1800.0;
  char* end = nullptr;
  const double seconds = std::strtod(value, &end);
  if (*end != '\0' || !(seconds > 0.0)) {
    throw Error(std::string("GRAM_NCCL_TIMEOUT '") + value +
                "': expected a positive number of seconds");
  }
  return seconds;
}

bool poll_until(const std::function<bool()>& done, double timeout_seconds) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_seconds);
  // Start fast (a collective of a few bytes finishes in microseconds), then back off to 1 ms
  // so that a rank waiting for slower peers leaves its core to them.
  auto pause = std::chrono::microseconds(20);
  while (true) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(1));
  }
}

std::string deadline_message(const std::string& what, double timeout_seconds,
                             const std::string& identity) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", timeout_seconds);
  return what + " did not finish within " + seconds +
         " s (GRAM_NCCL_TIMEOUT): a peer rank is gone or stuck; the communicator was aborted (" +
         identity + ")";
}

std::string rank_identity(int rank, int size, const std::string& host) {
  return "rank " + std::to_string(rank) + " of " + std::to_string(size) + " on " + host;
}

}  // namespace gram::dist
