#include "sweep/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace gram::sweep {

std::string format_duration(double seconds) {
  const long total = std::lround(std::max(0.0, seconds));
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, (total % 3600) / 60);
  } else if (total >= 60) {
    std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%lds", total);
  }
  return text;
}

Progress::Progress(double total_work)
    : total_(total_work),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

std::string Progress::eta_text() const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (done_ <= 0.0 || total_ <= 0.0) return "ETA --";
  return "ETA " + format_duration(elapsed * (total_ - done_) / done_);
}

void Progress::start_run(const std::string& label) {
  label_ = label;
  if (total_ > 0.0) print_line(true);
}

void Progress::advance(double work) {
  done_ = std::min(total_, done_ + work);
  if (total_ > 0.0 && terminal_) print_line(false);
}

void Progress::finish_run(double seconds) {
  if (total_ <= 0.0) return;
  if (terminal_) {
    print_line(true);
    std::fputc('\n', stderr);
  } else {
    std::fprintf(stderr, "sweep: %s done in %s; %.0f%% of the work, %s\n", label_.c_str(),
                 format_duration(seconds).c_str(), 100.0 * done_ / total_, eta_text().c_str());
  }
}

void Progress::print_line(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_print_ < std::chrono::milliseconds(500)) return;
  last_print_ = now;
  if (terminal_) {
    std::fprintf(stderr, "\r\033[Ksweep: %s  %5.1f%%  %s", label_.c_str(), 100.0 * done_ / total_,
                 eta_text().c_str());
  } else {
    std::fprintf(stderr, "sweep: %s started\n", label_.c_str());
  }
  std::fflush(stderr);
}

}  // namespace gram::sweep
