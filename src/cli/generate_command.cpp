// gram generate: seeded puzzle sets, plus `--random-model` for an untrained demo checkpoint.
#include <cstdio>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "model/weights.h"
#include "tasks/task.h"
#include "util/error.h"

namespace gram::cli {
namespace {

long long parse_number(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    const long long value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw Error(flag + ": expects an integer, got '" + text + "'");
}

// A flag stored as an int: a value past int's range is refused rather than wrapped (5000000000
// puzzles would otherwise become 705032704).
int parse_int_flag(const std::string& flag, const std::string& text) {
  const long long value = parse_number(flag, text);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    throw Error(flag + ": " + text + " is out of range (at most " +
                std::to_string(std::numeric_limits<int>::max()) + ")");
  }
  return static_cast<int>(value);
}

// The seed is unsigned: a negative one would silently become a huge one.
std::uint64_t parse_seed(const std::string& flag, const std::string& text) {
  const long long value = parse_number(flag, text);
  if (value < 0) throw Error(flag + ": must be >= 0, got " + text);
  return static_cast<std::uint64_t>(value);
}

// std::stod alone would end the run with its own one-word message ("stod"), naming no flag.
double parse_probability(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw Error(flag + ": expects a number, got '" + text + "'");
}

}  // namespace

namespace {

int generate_command(const CommandContext& context) {
  const std::vector<std::string>& arguments = context.arguments;
  std::string task_text;
  std::string output;
  std::string model_config;
  tasks::GenerateOptions options;
  options.count = 100;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& flag = arguments[i];
    if (flag == "--help") {
      std::puts(
          "usage: gram generate --task SPEC --output FILE [--count N] [--seed S] [--givens G]\n"
          "                     [--removed K] [--solutions M] [--edge-probability P]\n"
          "       gram generate --random-model CONFIG.json --output MODEL.safetensors [--seed S]\n"
          "  SPEC: sudoku:4|6|9, nqueens:N, coloring:N:C (docs/tasks.md)");
      return 0;
    }
    if (i + 1 >= arguments.size()) throw Error(flag + ": needs a value");
    const std::string value = arguments[++i];
    if (flag == "--task") task_text = value;
    else if (flag == "--random-model") model_config = value;
    else if (flag == "--output") output = value;
    else if (flag == "--count") options.count = parse_int_flag(flag, value);
    else if (flag == "--seed") options.seed = parse_seed(flag, value);
    else if (flag == "--givens") options.givens = parse_int_flag(flag, value);
    else if (flag == "--removed") options.removed = parse_int_flag(flag, value);
    else if (flag == "--solutions") options.solutions = parse_int_flag(flag, value);
    else if (flag == "--edge-probability") options.edge_probability = parse_probability(flag, value);
    else throw Error("gram generate: unknown option '" + flag + "'");
  }
  if (!model_config.empty()) {
    // An untrained, seeded model: lets every command run before any model is trained.
    std::ifstream file(model_config);
    if (!file) throw Error(model_config + ": cannot open");
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(file);
    } catch (const nlohmann::json::exception& error) {
      throw Error(model_config + ": not JSON: " + error.what());
    }
    if (output.empty()) throw Error("gram generate: --output is required");
    model::Model model;
    try {
      model = model::random_model(model::ModelConfig::from_json(json), options.seed);
    } catch (const Error& error) {
      throw Error(model_config + ": " + error.what());  // "model config: unknown key ..."
    }
    model::save_model(output, model);
    std::printf("wrote an UNTRAINED random model (seed %llu) to %s\n",
                static_cast<unsigned long long>(options.seed), output.c_str());
    return 0;
  }
  if (task_text.empty() || output.empty()) {
    throw Error("gram generate: --task and --output are required");
  }
  const auto task = tasks::make_task(tasks::TaskSpec::parse(task_text));
  const auto puzzles = task->generate(options);
  task->write_file(output, puzzles);
  std::printf("wrote %zu %s puzzles to %s\n", puzzles.size(), task_text.c_str(), output.c_str());
  return 0;
}

}  // namespace

GRAM_REGISTER_COMMAND("generate", "write a seeded puzzle set or an untrained model",
                      generate_command);

}  // namespace gram::cli
