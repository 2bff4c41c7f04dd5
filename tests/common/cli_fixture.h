#pragma once
// Running the real `gram` executable from a test: its exit status and output, the JSONL records
// it wrote, and a fixture with a private temporary directory per test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace gram::testing {

namespace fs = std::filesystem;

struct Command {
  int status;
  std::string output;
};

inline Command run(const std::string& arguments) {
  const fs::path log = fs::temp_directory_path() / ("gram_cli_test_" + std::to_string(::getpid()) + ".log");
  const std::string command = std::string(GRAM_EXECUTABLE) + " " + arguments + " > " + log.string() + " 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream file(log);
  std::stringstream text;
  text << file.rdbuf();
  fs::remove(log);
  return {WEXITSTATUS(status), text.str()};
}

inline std::vector<nlohmann::json> read_records(const fs::path& path) {
  std::ifstream file(path);
  std::vector<nlohmann::json> records;
  for (std::string line; std::getline(file, line);) records.push_back(nlohmann::json::parse(line));
  return records;
}

// Replaces `path` with `records`, one per line: a result file edited as by hand.
inline void write_records(const fs::path& path, const std::vector<nlohmann::json>& records) {
  std::ofstream file(path, std::ios::trunc);
  for (const auto& record : records) file << record.dump() << "\n";
}

// `records` without the first one `matches` picks, which it returns (null when none does).
template <class Predicate>
nlohmann::json remove_first(std::vector<nlohmann::json>& records, Predicate matches) {
  const auto found = std::find_if(records.begin(), records.end(), matches);
  if (found == records.end()) return nullptr;
  nlohmann::json removed = *found;
  records.erase(found);
  return removed;
}

class GramCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gram_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }
  fs::path dir_;
};

}  // namespace gram::testing
