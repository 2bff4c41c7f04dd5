// `adaptive: allocate` in the run config: the budget must pay for the first round and fit
// under the width; anything else is one line naming the three values.
#include <gtest/gtest.h>

#include <string>

#include "config/run_config.h"
#include "util/error.h"

namespace {

using gram::config::RunConfig;

std::string validate_error(const RunConfig& config) {
  try {
    gram::config::validate(config);
  } catch (const gram::Error& error) {
    return error.what();
  }
  return "";
}

RunConfig allocate(int round, double budget, int width) {
  RunConfig config;
  config.model = "m.safetensors";
  config.puzzles = "p.txt";
  config.adaptive = gram::AdaptiveChoice::kAllocate;
  config.round = round;
  config.budget = budget;
  config.width = width;
  return config;
}

TEST(RunConfigAllocate, BudgetBetweenTheFirstRoundAndTheWidth) {
  EXPECT_EQ(validate_error(allocate(4, 8.0, 32)), "");
  EXPECT_EQ(validate_error(allocate(4, 4.0, 4)), "");
  const std::string expected =
      "config: adaptive allocate needs round <= budget <= width (round 4, budget 3.500000, "
      "width 32)";
  EXPECT_EQ(validate_error(allocate(4, 3.5, 32)), expected);
  EXPECT_NE(validate_error(allocate(4, 40.0, 32)).find("round <= budget <= width"),
            std::string::npos);
  EXPECT_NE(validate_error(allocate(8, 8.0, 4)).find("round <= budget <= width"),
            std::string::npos);
  // Without allocate the budget is not read.
  RunConfig uniform = allocate(4, 40.0, 32);
  uniform.adaptive = gram::AdaptiveChoice::kNone;
  EXPECT_EQ(validate_error(uniform), "");
}

}  // namespace
