// The stop handler records SIGTERM/SIGINT for the run loops and leaves the default action for a
// second signal; Stopped carries the signal to main()'s exit status.
#include "util/stop_signal.h"

#include <gtest/gtest.h>

#include <csignal>

namespace gram {
namespace {

// gtest_discover_tests runs each test in a process of its own, so the recorded signal of one
// test does not leak into another.
TEST(StopSignal, SigtermIsRecordedNotFatal) {
  install_stop_handlers();
  EXPECT_FALSE(stop_requested());
  ASSERT_EQ(std::raise(SIGTERM), 0);  // without the handler this would end the test process
  EXPECT_TRUE(stop_requested());
  EXPECT_EQ(stop_signal(), SIGTERM);
  try {
    throw_if_stop_requested();
    FAIL() << "no Stopped thrown after SIGTERM";
  } catch (const Stopped& stopped) {
    EXPECT_EQ(stopped.signal(), SIGTERM);
    EXPECT_EQ(stop_exit_status(stopped.signal()), 143);
    EXPECT_EQ(std::string(stopped.what()).rfind("stopped by SIGTERM", 0), 0u) << stopped.what();
  }
}

TEST(StopSignal, SecondSignalTakesTheDefaultAction) {
  // A second Ctrl-C must not wait for the safe point.
  EXPECT_EXIT(
      {
        install_stop_handlers();
        std::raise(SIGINT);
        std::raise(SIGINT);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGINT), "");
}

TEST(StopSignal, NamesAndStatuses) {
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGINT), "SIGINT");
  EXPECT_EQ(signal_name(SIGUSR1), "signal " + std::to_string(SIGUSR1));
  EXPECT_EQ(stop_exit_status(SIGINT), 130);
  request_stop(SIGINT);
  EXPECT_EQ(stop_signal(), SIGINT);
  EXPECT_THROW(throw_if_stop_requested(), Stopped);
}

}  // namespace
}  // namespace gram
