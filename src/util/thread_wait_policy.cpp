#include "util/thread_wait_policy.h"

#include <unistd.h>

#include <cstdlib>

namespace gram {

void apply_default_thread_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) {
    return;
  }
  if (::setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // Only reached if the exec failed (no /proc): run on with libgomp's default policy.
}

}  // namespace gram
