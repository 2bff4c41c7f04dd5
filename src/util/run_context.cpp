#include "util/run_context.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>

#include "gram/build_info.h"

namespace gram {
namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

std::string utc_now_iso8601() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Quotes an argument so the recorded command line can be pasted back into a shell.
std::string shell_quote(const std::string& argument) {
  bool plain = !argument.empty() &&
               argument.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_-+=./,:@%") == std::string::npos;
  if (plain) return argument;
  std::string quoted = "'";
  for (char c : argument) {
    quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

}  // namespace

const std::vector<std::string>& behaviour_environment_variables() {
  static const std::vector<std::string> names = {"OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE",
                                                 "CUDA_VISIBLE_DEVICES", "GRAM_LOG_DIR",
                                                 "GRAM_CUDA_MATH", "GRAM_PYTHON"};
  return names;
}

RunContext capture_run_context(int argc, char** argv) {
  RunContext context;
  context.host = host_name();
  context.cores = std::thread::hardware_concurrency();
  context.commit = build::kCommit;
  context.build_type = build::kBuildType;
  context.compiler = build::kCompiler;
  context.start_time = utc_now_iso8601();
  for (int i = 0; i < argc; ++i) {
    if (i > 0) context.command_line += ' ';
    context.command_line += shell_quote(argv[i]);
  }
  for (const auto& name : behaviour_environment_variables()) {
    if (const char* value = std::getenv(name.c_str())) context.environment[name] = value;
  }
  return context;
}

nlohmann::json to_json(const RunContext& context) {
  return {{"host", context.host},
          {"cores", context.cores},
          {"commit", context.commit},
          {"build_type", context.build_type},
          {"compiler", context.compiler},
          {"start_time", context.start_time},
          {"command_line", context.command_line},
          {"environment", context.environment}};
}

}  // namespace gram
