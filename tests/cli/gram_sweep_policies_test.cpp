// Adaptive policies in `gram sweep`: a policy cell replayed on a recorded width run equals a
// direct `gram run --adaptive` of the same policy, field by field; `--adaptive allocate` draws
// prefixes of the uniform run that sum to its budget; `gram report` renders the policy cells.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <numeric>
#include <string>

#include <nlohmann/json.hpp>

#include "common/cli_fixture.h"

namespace {

using gram::testing::Command;
using gram::testing::GramCli;
using gram::testing::read_records;
using gram::testing::remove_first;
using gram::testing::run;
using gram::testing::write_records;

class GramSweepPolicies : public GramCli {
 protected:
  // The shipped trained model: its answers agree often enough for every rule to fire.
  const std::string model_ = std::string(GRAM_SOURCE_DIR) + "/models/sudoku6-gram-small.safetensors";
  const std::string puzzles_ = std::string(GRAM_SOURCE_DIR) + "/models/data/sudoku6-test.txt";
  const std::string common_ = " --limit 10 --depth 2 --threads 1 --aggregators majority,best_of_n";

  std::string sweep(const std::string& output) const {
    return "sweep --models small=" + model_ + " --puzzles " + puzzles_ +
           " --limit 10 --budgets 16 --strategies width --fixed_depth 2 --threads 1"
           " --aggregators majority,best_of_n --policies beta,agreement,verifier,allocate"
           " --policy_round 2 --beta_threshold 0.9 --agreement_window 3"
           " --verifier_threshold 0.8 --allocate_budget 3.5 --output " + path(output);
  }
  // The `gram run` options of a policy record.
  static std::string run_options(const nlohmann::json& policy) {
    const std::string name = policy["policy"];
    const nlohmann::json& settings = policy["settings"];
    std::string options = " --width " + std::to_string(policy["width"].get<int>()) +
                          " --adaptive " + name;
    if (name == "allocate") {
      return options + " --round " + std::to_string(settings["probe"].get<int>()) +
             " --budget " + std::to_string(settings["budget"].get<double>());
    }
    options += " --round " + std::to_string(settings["round"].get<int>());
    if (settings.contains("threshold")) {
      options += " --stop_threshold " + std::to_string(settings["threshold"].get<double>());
    }
    if (settings.contains("window")) {
      options += " --stop_window " + std::to_string(settings["window"].get<int>());
    }
    return options;
  }
  std::vector<nlohmann::json> puzzles_of(const std::string& file) const {
    std::vector<nlohmann::json> found;
    for (const auto& record : read_records(path(file))) {
      if (record["type"] == "puzzle") found.push_back(record);
    }
    return found;
  }
};

TEST_F(GramSweepPolicies, PolicyCellsEqualDirectAdaptiveRuns) {
  const Command swept = run(sweep("sweep"));
  ASSERT_EQ(swept.status, 0) << swept.output;
  std::vector<nlohmann::json> policies;
  for (const auto& record : read_records(path("sweep") + "/cells.jsonl")) {
    if (record["type"] == "policy") policies.push_back(record);
  }
  ASSERT_EQ(policies.size(), 4u);
  int saved = 0;
  for (const auto& policy : policies) {
    const std::string name = policy["policy"];
    const std::string file = name + ".jsonl";
    const Command direct = run("run --model " + model_ + " --puzzles " + puzzles_ + common_ +
                               run_options(policy) + " --output " + path(file));
    ASSERT_EQ(direct.status, 0) << direct.output;
    const auto puzzles = puzzles_of(file);
    ASSERT_EQ(puzzles.size(), 10u) << name;
    std::int64_t applications = 0;
    for (std::size_t p = 0; p < puzzles.size(); ++p) {
      EXPECT_EQ(puzzles[p]["trajectories"].size(),
                policy["per_puzzle_trajectories"][p].get<std::size_t>())
          << name << " puzzle " << p;
      for (const std::string aggregator : {"majority", "best_of_n"}) {
        const bool right = puzzles[p]["aggregate"][aggregator]["correct"];
        EXPECT_EQ(right, policy["per_puzzle"][aggregator].get<std::string>()[p] == '1')
            << name << " " << aggregator << " puzzle " << p;
      }
      applications += puzzles[p]["applications"].get<std::int64_t>();
    }
    EXPECT_EQ(applications, policy["applications"].get<std::int64_t>()) << name;
    // The matched uniform cell spends at least as much, one trajectory less would not.
    const double spent = policy["applications_per_puzzle"];
    const auto& matched = policy["matched_uniform"];
    EXPECT_GE(matched["applications_per_puzzle"].get<double>(), spent) << name;
    EXPECT_LT((matched["width"].get<double>() - 1) * 2 * 8, spent) << name;  // 8 applications/step
    saved += policy["saving"].get<double>() > 0 ? 1 : 0;
  }
  EXPECT_GT(saved, 0) << "the test needs some policy to spend less than the uniform run";
}

TEST_F(GramSweepPolicies, AllocationDrawsPrefixesOfTheUniformRunWithinItsBudget) {
  // Depth 1: after one step the trained model is still in doubt on some of these puzzles, so
  // the allocation has somewhere to spend past its first round.
  const std::string base = "run --model " + model_ + " --puzzles " + puzzles_ +
                           " --limit 10 --depth 1 --threads 1 --aggregators majority,best_of_n --width 8";
  ASSERT_EQ(run(base + " --output " + path("uniform.jsonl")).status, 0);
  const Command allocated = run(base + " --adaptive allocate --round 2 --budget 3.5 --output " +
                                path("allocate.jsonl"));
  ASSERT_EQ(allocated.status, 0) << allocated.output;
  const auto uniform = puzzles_of("uniform.jsonl");
  const auto drawn = puzzles_of("allocate.jsonl");
  ASSERT_EQ(drawn.size(), uniform.size());
  std::size_t total = 0;
  for (std::size_t p = 0; p < drawn.size(); ++p) {
    const auto& trajectories = drawn[p]["trajectories"];
    ASSERT_GE(trajectories.size(), 2u);
    for (std::size_t t = 0; t < trajectories.size(); ++t) {
      EXPECT_EQ(trajectories[t], uniform[p]["trajectories"][t]) << "puzzle " << p << " trajectory " << t;
    }
    total += trajectories.size();
  }
  // 3.5 x 10 puzzles: all 35 are spent unless every puzzle still open is full.
  EXPECT_LE(total, 35u);
  EXPECT_GT(total, 20u) << "the first round alone is 20; some puzzle must be in doubt";
}

TEST_F(GramSweepPolicies, ResumeWritesOnlyTheMissingPolicyRecords) {
  ASSERT_EQ(run(sweep("sweep")).status, 0);
  const auto first = read_records(path("sweep") + "/cells.jsonl");
  // A rerun finds every record on file and runs nothing.
  const Command again = run(sweep("sweep"));
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("0 runs executed"), std::string::npos) << again.output;
  EXPECT_EQ(read_records(path("sweep") + "/cells.jsonl").size(), first.size());
  // Without the allocate record, the run executes again and only that record is added back.
  std::vector<nlohmann::json> kept = first;
  const nlohmann::json removed = remove_first(kept, [](const nlohmann::json& record) {
    return record["type"] == "policy" && record["policy"] == "allocate";
  });
  ASSERT_FALSE(removed.is_null());
  write_records(path("sweep") + "/cells.jsonl", kept);
  const Command resumed = run(sweep("sweep"));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  const auto after = read_records(path("sweep") + "/cells.jsonl");
  ASSERT_EQ(after.size(), first.size());
  EXPECT_EQ(after.back()["policy"], "allocate");
  EXPECT_EQ(after.back()["per_puzzle_trajectories"], removed["per_puzzle_trajectories"]);
  EXPECT_EQ(after.back()["correct"], removed["correct"]);
}

TEST_F(GramSweepPolicies, ReportShowsTheAdaptiveSectionAndRefusesABrokenRecord) {
  ASSERT_EQ(run(sweep("sweep")).status, 0);
  const Command report = run("report " + path("sweep") + " --no-figures --output " + path("report"));
  ASSERT_EQ(report.status, 0) << report.output;
  std::ifstream markdown(path("report") + "/report.md");
  const std::string text((std::istreambuf_iterator<char>(markdown)), {});
  EXPECT_NE(text.find("## Adaptive compute"), std::string::npos);
  for (const char* policy : {"| beta |", "| agreement |", "| verifier |", "| allocate |"}) {
    EXPECT_NE(text.find(policy), std::string::npos) << policy;
  }
  // A policy record whose matched cell spends less than the policy is refused by line.
  std::vector<nlohmann::json> records = read_records(path("sweep") + "/cells.jsonl");
  std::size_t line = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i]["type"] == "policy" && line == 0) {
      records[i]["matched_uniform"]["applications_per_puzzle"] = 0;
      line = i + 1;
    }
  }
  write_records(path("sweep") + "/cells.jsonl", records);
  const Command broken = run("report " + path("sweep") + " --no-figures --overwrite --output " +
                             path("report"));
  EXPECT_EQ(broken.status, 1) << broken.output;
  EXPECT_NE(broken.output.find("cells.jsonl:" + std::to_string(line) + ": policy"),
            std::string::npos)
      << broken.output;
}

}  // namespace
