// Defaults, value parsing, --set errors, validation, to_json and help_text of RunConfig.
#include "config/run_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/error.h"

namespace gram::config {
namespace {

// The message of the gram::Error that `body` throws ("" if it throws none).
template <typename Body>
std::string error_of(Body body) {
  try {
    body();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

std::string override_error(const std::string& assignment) {
  RunConfig config;
  return error_of([&] { apply_override(config, assignment); });
}

TEST(RunConfig, DefaultsMatchTheDeclaration) {
  RunConfig config;
  EXPECT_EQ(config.model, "");
  EXPECT_EQ(config.puzzles, "");
  EXPECT_EQ(config.output, "results.jsonl");
  EXPECT_EQ(config.backend, "cpu");
  EXPECT_EQ(config.width, 1);
  EXPECT_EQ(config.depth, 16);
  EXPECT_FALSE(config.halting);
  EXPECT_EQ(config.aggregators,
            (std::vector<std::string>{"majority", "best_of_n", "weighted_vote", "oracle"}));
  EXPECT_EQ(config.seed, 0u);
  EXPECT_EQ(config.row_cap, 256);
  EXPECT_EQ(config.threads, 0);
  EXPECT_EQ(config.limit, 0);
  EXPECT_FALSE(config.overwrite);
}

TEST(RunConfig, TableFollowsDeclarationOrder) {
  std::vector<std::string> names;
  for (const auto& field : run_config_fields()) {
    names.push_back(field.name);
    EXPECT_FALSE(field.help.empty()) << field.name;
    EXPECT_TRUE(field.get && field.set && field.get_json) << field.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"model", "puzzles", "output", "backend", "width",
                                             "depth", "halting", "aggregators", "seed",
                                             "row_cap", "memory_limit", "threads", "limit",
                                             "overwrite", "adaptive",
                                             "round", "stop_threshold", "stop_window",
                                             "search", "particles", "beams", "expand",
                                             "resample_every", "temperature", "ess_threshold",
                                             "budget", "noise_scale", "noise_mode", "noise_at",
                                             "dropout_rate", "dropout_at", "dropout_sites",
                                             "dropout_layers", "verifier"}));
}

TEST(RunConfig, ParsesEachType) {
  RunConfig config;
  apply_override(config, "model=models/sudoku-small.safetensors");
  apply_override(config, "backend=cuda");
  apply_override(config, "width=8");
  apply_override(config, "threads=0");
  apply_override(config, "halting=yes");
  apply_override(config, "aggregators=oracle, majority");
  apply_override(config, "seed=18446744073709551615");
  EXPECT_EQ(config.model, "models/sudoku-small.safetensors");
  EXPECT_EQ(config.backend, "cuda");
  EXPECT_EQ(config.width, 8);
  EXPECT_EQ(config.threads, 0);
  EXPECT_TRUE(config.halting);
  EXPECT_EQ(config.aggregators, (std::vector<std::string>{"oracle", "majority"}));
  EXPECT_EQ(config.seed, 18446744073709551615ull);
}

TEST(RunConfig, BoolAcceptsEverySpelling) {
  RunConfig config;
  for (const char* text : {"true", "1", "yes", "on", "True", "ON"}) {
    config.halting = false;
    apply_override(config, std::string("halting=") + text);
    EXPECT_TRUE(config.halting) << text;
  }
  for (const char* text : {"false", "0", "no", "off", "FALSE"}) {
    config.halting = true;
    apply_override(config, std::string("halting=") + text);
    EXPECT_FALSE(config.halting) << text;
  }
  EXPECT_EQ(override_error("halting=maybe"),
            "--set halting=maybe: 'halting' expects a bool (true/false, 1/0, yes/no, on/off)");
}

TEST(RunConfig, IntErrors) {
  EXPECT_EQ(override_error("width=abc"), "--set width=abc: 'width' expects an integer");
  EXPECT_EQ(override_error("width=4x"), "--set width=4x: 'width' expects an integer");
  EXPECT_EQ(override_error("width="), "--set width=: 'width' expects an integer");
  EXPECT_EQ(override_error("width=0"), "--set width=0: 'width' must be >= 1 (got 0)");
  EXPECT_EQ(override_error("depth=-3"), "--set depth=-3: 'depth' must be >= 1 (got -3)");
  EXPECT_EQ(override_error("row_cap=0"), "--set row_cap=0: 'row_cap' must be >= 1 (got 0)");
  EXPECT_EQ(override_error("threads=-1"), "--set threads=-1: 'threads' must be >= 0 (got -1)");
  EXPECT_EQ(override_error("limit=-1"), "--set limit=-1: 'limit' must be >= 0 (got -1)");
  EXPECT_EQ(override_error("width=99999999999"),
            "--set width=99999999999: 'width' is out of range (got 99999999999)");
}

TEST(RunConfig, MemoryLimitTakesBinarySuffixes) {
  RunConfig config;
  apply_override(config, "memory_limit=512M");
  EXPECT_EQ(config.memory_limit, 512ull << 20);
  apply_override(config, "memory_limit=2g");
  EXPECT_EQ(config.memory_limit, 2ull << 30);
  apply_override(config, "memory_limit=1000");
  EXPECT_EQ(config.memory_limit, 1000u);
  EXPECT_EQ(override_error("memory_limit=1.5G"),
            "--set memory_limit=1.5G: 'memory_limit' expects a size in bytes, optionally with K, "
            "M, G or T (got '1.5G')");
  EXPECT_EQ(override_error("memory_limit=-1"),
            "--set memory_limit=-1: 'memory_limit' expects a size in bytes, optionally with K, M, "
            "G or T (got '-1')");
  EXPECT_EQ(override_error("memory_limit=99999999999T"),
            "--set memory_limit=99999999999T: 'memory_limit' is out of range (got 99999999999T)");
}

TEST(RunConfig, SeedErrors) {
  const std::string expects = "'seed' expects a non-negative decimal integer";
  EXPECT_EQ(override_error("seed=-1"), "--set seed=-1: " + expects);
  EXPECT_EQ(override_error("seed=+1"), "--set seed=+1: " + expects);
  EXPECT_EQ(override_error("seed=0x10"), "--set seed=0x10: " + expects);
  EXPECT_EQ(override_error("seed=18446744073709551616"),
            "--set seed=18446744073709551616: 'seed' is out of range "
            "(max 18446744073709551615, got 18446744073709551616)");
}

TEST(RunConfig, ChoiceAndListErrors) {
  EXPECT_EQ(override_error("backend=gpu"),
            "--set backend=gpu: 'backend' expects one of cpu|cuda (got 'gpu')");
  EXPECT_EQ(override_error("aggregators=majority,mode"),
            "--set aggregators=majority,mode: 'aggregators': unknown aggregator 'mode' "
            "(known: majority, best_of_n, weighted_vote, oracle)");
  EXPECT_EQ(override_error("aggregators=majority,,oracle"),
            "--set aggregators=majority,,oracle: 'aggregators' has an empty item in "
            "'majority,,oracle'");
}

TEST(RunConfig, OverrideSyntaxErrors) {
  EXPECT_EQ(override_error("width"), "--set width: expected key=value");
  EXPECT_EQ(override_error("foo=1"),
            "--set foo=1: unknown key 'foo' (known: model, puzzles, output, backend, width, "
            "depth, halting, aggregators, seed, row_cap, memory_limit, threads, limit, overwrite, adaptive, round, "
            "stop_threshold, stop_window, search, particles, beams, expand, resample_every, "
            "temperature, ess_threshold, budget, noise_scale, noise_mode, noise_at, dropout_rate, "
            "dropout_at, dropout_sites, dropout_layers, verifier)");
}

TEST(RunConfig, FailedOverrideLeavesTheFieldAlone) {
  RunConfig config;
  config.width = 4;
  EXPECT_THROW(apply_override(config, "width=0"), Error);
  EXPECT_EQ(config.width, 4);
}

TEST(RunConfig, ValidateRequiresModelAndPuzzles) {
  RunConfig config;
  EXPECT_EQ(error_of([&] { validate(config); }), "config: 'model' is required");
  config.model = "m.safetensors";
  EXPECT_EQ(error_of([&] { validate(config); }), "config: 'puzzles' is required");
  config.puzzles = "p.csv";
  EXPECT_NO_THROW(validate(config));
}

TEST(RunConfig, ValidateChecksRangesAndAggregators) {
  RunConfig config;
  config.model = "m.safetensors";
  config.puzzles = "p.csv";
  config.width = 0;  // set in code, bypassing the parser
  EXPECT_EQ(error_of([&] { validate(config); }), "config: 'width' must be >= 1 (got 0)");
  config.width = 1;
  config.aggregators = {};
  EXPECT_EQ(error_of([&] { validate(config); }),
            "config: 'aggregators' must name at least one aggregator");
  config.aggregators = {"majority", "oracle", "majority"};
  EXPECT_EQ(error_of([&] { validate(config); }),
            "config: 'aggregators' names 'majority' twice");
  apply_override(config, "aggregators=");
  EXPECT_TRUE(config.aggregators.empty());
  EXPECT_THROW(validate(config), Error);
}

TEST(RunConfig, ToJsonHasEveryFieldTyped) {
  RunConfig config;
  config.seed = 18446744073709551615ull;
  nlohmann::json json = to_json(config);
  for (const auto& field : run_config_fields()) {
    EXPECT_TRUE(json.contains(field.name)) << field.name;
  }
  EXPECT_EQ(json.size(), run_config_fields().size());
  EXPECT_TRUE(json["model"].is_string());
  EXPECT_TRUE(json["width"].is_number_integer());
  EXPECT_EQ(json["depth"], 16);
  EXPECT_TRUE(json["halting"].is_boolean());
  EXPECT_TRUE(json["overwrite"].is_boolean());
  EXPECT_TRUE(json["aggregators"].is_array());
  EXPECT_EQ(json["aggregators"].size(), 4u);
  EXPECT_TRUE(json["seed"].is_number_unsigned());
  EXPECT_EQ(json["seed"].get<std::uint64_t>(), 18446744073709551615ull);
}

TEST(RunConfig, HelpTextListsEveryFieldWithItsDefault) {
  std::string help = help_text();
  RunConfig defaults;
  std::size_t lines = 0;
  for (char c : help) lines += (c == '\n');
  EXPECT_EQ(lines, run_config_fields().size());
  for (const auto& field : run_config_fields()) {
    std::string head = "  --" + field.name + " " + field.type + " ";
    EXPECT_NE(help.find(head), std::string::npos) << field.name;
    EXPECT_NE(help.find(field.help), std::string::npos) << field.name;
    if (!field.required) {
      const std::string value = field.get(defaults);
      EXPECT_NE(help.find(field.help + " (default: " + (value.empty() ? "\"\"" : value) + ")"),
                std::string::npos)
          << field.name;
    }
  }
  EXPECT_NE(help.find("(default: majority,best_of_n,weighted_vote,oracle)"), std::string::npos);
  EXPECT_NE(help.find("(required)"), std::string::npos);
}

}  // namespace
}  // namespace gram::config
