#pragma once
// Shared by the task tests: temporary puzzle files and checks on gram::Error messages.
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

// Runs `action` and returns the gram::Error message it throws; a test failure when it throws
// nothing or something else.
inline std::string error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  } catch (const std::exception& other) {
    ADD_FAILURE() << "expected gram::Error, got another exception: " << other.what();
    return "";
  }
  ADD_FAILURE() << "expected gram::Error, nothing was thrown";
  return "";
}

}  // namespace gram::tasks::testing
