#include "util/error.h"

namespace gram {

void fail_assertion(const char* condition, const char* file, int line, const std::string& detail) {
  throw Error(std::string("internal check failed: ") + condition + " at " + file + ":" +
              std::to_string(line) + (detail.empty() ? "" : " (" + detail + ")"));
}

}  // namespace gram
