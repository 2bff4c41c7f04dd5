#pragma once
// What the tests read from a rank's log (GRAM_LOG_DIR/rank-N.log).
#include <fstream>
#include <regex>
#include <string>

#include <sys/types.h>

namespace gram::testing {

// The pid a rank wrote in the first line of its log (`... pid N, ...`), or 0.
inline pid_t pid_in_rank_log(const std::string& log_path) {
  std::ifstream log(log_path);
  std::string line;
  std::getline(log, line);
  std::smatch found;
  if (!std::regex_search(line, found, std::regex("pid ([0-9]+)"))) return 0;
  return static_cast<pid_t>(std::stoi(found[1]));
}

}  // namespace gram::testing
