#pragma once
// Shared by the test suites: the message of the gram::Error an action throws.
#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <string>

#include "util/error.h"

namespace gram::testing_support {

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

}  // namespace gram::testing_support
