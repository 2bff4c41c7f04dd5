#pragma once
// One error type for everything the user can get wrong (files, configs, puzzles, budgets).
//
// The message is a single line that names the file, line, column or field at fault; the CLI
// prints it after "gram: error: " and exits non-zero. Internal invariants use GRAM_ASSERT,
// which names the source location instead.
#include <stdexcept>
#include <string>

namespace gram {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

[[noreturn]] void fail_assertion(const char* condition, const char* file, int line,
                                 const std::string& detail);

}  // namespace gram

// Checks an internal invariant (a shape where two layers meet, an index in range). Never
// compiled away: a wrong shape must stop the run, not corrupt it.
#define GRAM_ASSERT(condition, detail)                                   \
  do {                                                                   \
    if (!(condition)) {                                                  \
      ::gram::fail_assertion(#condition, __FILE__, __LINE__, (detail));  \
    }                                                                    \
  } while (0)
