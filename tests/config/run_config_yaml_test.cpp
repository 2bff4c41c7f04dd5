// Loading RunConfig from YAML files: values, lists, precedence of --set, and errors with lines.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "config/run_config.h"
#include "util/error.h"
#include "util/temp_dir.h"

namespace gram::config {
namespace {

using gram::testing::TempDir;

// The message of the error apply_yaml_file raises for `content` ("" if none), with the file's
// path replaced by "FILE" so expectations read like the real message.
std::string yaml_error(const std::string& content) {
  TempDir dir;
  std::string path = dir.write("run.yaml", content);
  RunConfig config;
  try {
    apply_yaml_file(config, path);
  } catch (const Error& error) {
    std::string message = error.what();
    if (message.rfind(path, 0) == 0) message = "FILE" + message.substr(path.size());
    return message;
  }
  return "";
}

TEST(RunConfigYaml, LoadsEveryKind) {
  TempDir dir;
  std::string path = dir.write("run.yaml",
                               "# a comment\n"
                               "model: models/sudoku-small.safetensors\n"
                               "puzzles: data/sudoku-extreme/test.csv\n"
                               "backend: cuda\n"
                               "width: 32\n"
                               "depth: 8\n"
                               "halting: on\n"
                               "seed: 1234\n"
                               "aggregators: majority, oracle\n");
  RunConfig config;
  apply_yaml_file(config, path);
  EXPECT_EQ(config.model, "models/sudoku-small.safetensors");
  EXPECT_EQ(config.puzzles, "data/sudoku-extreme/test.csv");
  EXPECT_EQ(config.backend, "cuda");
  EXPECT_EQ(config.width, 32);
  EXPECT_EQ(config.depth, 8);
  EXPECT_TRUE(config.halting);
  EXPECT_EQ(config.seed, 1234u);
  EXPECT_EQ(config.aggregators, (std::vector<std::string>{"majority", "oracle"}));
  EXPECT_EQ(config.row_cap, 256);  // untouched keys keep their defaults
  EXPECT_NO_THROW(validate(config));
}

TEST(RunConfigYaml, AcceptsAListOfAggregators) {
  TempDir dir;
  RunConfig config;
  apply_yaml_file(config, dir.write("block.yaml", "aggregators:\n  - weighted_vote\n  - oracle\n"));
  EXPECT_EQ(config.aggregators, (std::vector<std::string>{"weighted_vote", "oracle"}));
  apply_yaml_file(config, dir.write("flow.yaml", "aggregators: [best_of_n]\n"));
  EXPECT_EQ(config.aggregators, (std::vector<std::string>{"best_of_n"}));
}

TEST(RunConfigYaml, SetAfterYamlWins) {
  TempDir dir;
  RunConfig config;
  apply_yaml_file(config, dir.write("run.yaml", "width: 4\nseed: 7\n"));
  apply_override(config, "width=16");
  EXPECT_EQ(config.width, 16);
  EXPECT_EQ(config.seed, 7u);
}

TEST(RunConfigYaml, EmptyFileChangesNothing) {
  EXPECT_EQ(yaml_error(""), "");
  EXPECT_EQ(yaml_error("# only a comment\n"), "");
}

TEST(RunConfigYaml, UnknownKeyNamesTheLine) {
  EXPECT_EQ(yaml_error("width: 2\n\nfoo: 1\n"),
            "FILE:3: unknown key 'foo' (known: model, puzzles, output, backend, width, depth, "
            "halting, aggregators, seed, row_cap, memory_limit, threads, limit, overwrite, adaptive, round, "
            "stop_threshold, stop_window, search, particles, beams, expand, resample_every, "
            "temperature, ess_threshold, budget, noise_scale, noise_mode, noise_at, dropout_rate, "
            "dropout_at, dropout_sites, dropout_layers, verifier)");
}

TEST(RunConfigYaml, BadValueNamesTheLine) {
  EXPECT_EQ(yaml_error("model: m\nwidth: abc\n"), "FILE:2: 'width' expects an integer");
  EXPECT_EQ(yaml_error("depth: 0\n"), "FILE:1: 'depth' must be >= 1 (got 0)");
  EXPECT_EQ(yaml_error("seed: -5\n"), "FILE:1: 'seed' expects a non-negative decimal integer");
  EXPECT_EQ(yaml_error("\nhalting: perhaps\n"),
            "FILE:2: 'halting' expects a bool (true/false, 1/0, yes/no, on/off)");
  EXPECT_EQ(yaml_error("aggregators:\n  - majority\n  - mode\n"),
            "FILE:2: 'aggregators': unknown aggregator 'mode' "
            "(known: majority, best_of_n, weighted_vote, oracle)");
}

TEST(RunConfigYaml, ShapeErrors) {
  EXPECT_EQ(yaml_error("width: [1, 2]\n"), "FILE:1: 'width' expects a single int value, not a list");
  EXPECT_EQ(yaml_error("model:\n  path: m\n"),
            "FILE:2: 'model' must be a single value, not a nested map");
  EXPECT_EQ(yaml_error("model:\n"), "FILE:1: 'model' has no value");
  EXPECT_EQ(yaml_error("model: ~\n\n\nwidth: 2\n"), "FILE:1: 'model' has no value");
  EXPECT_EQ(yaml_error("- width\n- depth\n"), "FILE:1: expected a map of key: value lines");
  EXPECT_EQ(yaml_error("width: 2\nwidth: 3\n"), "FILE:2: duplicate key 'width'");
  EXPECT_EQ(yaml_error("aggregators:\n  - [majority]\n"),
            "FILE:2: 'aggregators' items must be plain values");
}

TEST(RunConfigYaml, SyntaxErrorIsOneLineWithTheLine) {
  std::string message = yaml_error("width: 2\ndepth: [1, 2\n");
  EXPECT_EQ(message.rfind("FILE:", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  // yaml-cpp reports where it noticed the problem (here the end of the file), not the '['.
  EXPECT_TRUE(std::regex_search(message, std::regex("^FILE:[0-9]+: \\S"))) << message;
}

TEST(RunConfigYaml, MissingFile) {
  TempDir dir;
  std::string path = dir.file("absent.yaml");
  RunConfig config;
  try {
    apply_yaml_file(config, path);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), path + ": cannot open: No such file or directory");
  }
}

// The example in configs/ is the documentation of the keys: it must load, validate and name
// every field, so a new field without an example line fails here.
TEST(RunConfigYaml, ExampleConfigSetsEveryKey) {
  const std::string path = std::string(GRAM_SOURCE_DIR) + "/configs/run-sudoku.yaml";
  RunConfig config;
  apply_yaml_file(config, path);
  EXPECT_NO_THROW(validate(config));
  std::string text = gram::testing::read_file(path);
  for (const auto& field : run_config_fields()) {
    EXPECT_NE(text.find("\n" + field.name + ": "), std::string::npos) << field.name;
  }
}

}  // namespace
}  // namespace gram::config
