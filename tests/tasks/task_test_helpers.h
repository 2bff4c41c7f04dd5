#pragma once
// Shared by the task tests: temporary puzzle files and checks on gram::Error messages.
#include "common/error_message.h"
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "util/error.h"

namespace gram::tasks::testing {

// A path in the temporary folder named after the running test, so tests never share files.
inline std::string temp_path(const std::string& suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string("gram_tasks_") + info->test_suite_name() + "_" + info->name() +
                     "_" + suffix;
  for (char& symbol : name) {
    if (symbol == '/') {
      symbol = '_';  // parameterised test names contain '/'
    }
  }
  return (std::filesystem::temp_directory_path() / name).string();
}

inline std::string write_temp_file(const std::string& suffix, const std::string& contents) {
  std::string path = temp_path(suffix);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

using gram::testing_support::error_message;

}  // namespace gram::tasks::testing
