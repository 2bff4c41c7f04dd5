// The context block: build stamp, host, time, command line and the behaviour environment.
#include "util/run_context.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

namespace gram {
namespace {

RunContext capture(std::vector<std::string> arguments) {
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  return capture_run_context(static_cast<int>(argv.size()), argv.data());
}

TEST(RunContext, JsonHasTheContextFields) {
  nlohmann::json json = to_json(capture({"gram", "run"}));
  for (const char* key : {"host", "cores", "commit", "build_type", "compiler", "start_time",
                          "command_line", "environment"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_TRUE(json["cores"].is_number_unsigned());
  EXPECT_GE(json["cores"].get<unsigned>(), 1u);
  EXPECT_FALSE(json["host"].get<std::string>().empty());
  EXPECT_FALSE(json["commit"].get<std::string>().empty());
  EXPECT_FALSE(json["compiler"].get<std::string>().empty());
  EXPECT_TRUE(json["environment"].is_object());
  EXPECT_TRUE(std::regex_match(json["start_time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << json["start_time"];
}

TEST(RunContext, CommandLineIsShellQuotedWhereNeeded) {
  RunContext context = capture({"gram", "run", "--set", "width=8", "my configs/it's.yaml"});
  EXPECT_EQ(context.command_line, R"(gram run --set width=8 'my configs/it'\''s.yaml')");
}

TEST(RunContext, EchoesOnlyTheSetBehaviourVariables) {
  ::setenv("OPENBLAS_NUM_THREADS", "3", 1);
  ::setenv("GRAM_LOG_DIR", "", 1);  // set but empty is still set
  ::unsetenv("OPENBLAS_CORETYPE");
  ::setenv("GRAM_UNRELATED", "x", 1);
  RunContext context = capture({"gram"});
  EXPECT_EQ(context.environment.at("OPENBLAS_NUM_THREADS"), "3");
  EXPECT_EQ(context.environment.at("GRAM_LOG_DIR"), "");
  EXPECT_EQ(context.environment.count("OPENBLAS_CORETYPE"), 0u);
  EXPECT_EQ(context.environment.count("GRAM_UNRELATED"), 0u);
  for (const auto& [name, value] : context.environment) {
    const auto& known = behaviour_environment_variables();
    EXPECT_NE(std::find(known.begin(), known.end(), name), known.end()) << name;
  }
  EXPECT_EQ(to_json(context)["environment"]["OPENBLAS_NUM_THREADS"], "3");
  ::unsetenv("OPENBLAS_NUM_THREADS");
  ::unsetenv("GRAM_LOG_DIR");
  ::unsetenv("GRAM_UNRELATED");
}

}  // namespace
}  // namespace gram
