// `gram sweep` end to end through the real executable: derived cells equal directly run ones,
// resume after a kill, refusal of a changed config, and the bad-input errors.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/tiny_sweep_fixture.h"
#include "model/weights.h"

namespace {

using gram::testing::Command;
using gram::testing::read_records;
using gram::testing::run;

class GramSweep : public gram::testing::TinySweep {
 protected:
  // The cells of a result directory by identity, without what legitimately differs between
  // two executions (timing) or between planning choices (derived, source_run).
  std::map<std::string, nlohmann::json> cells(const std::string& output) const {
    std::map<std::string, nlohmann::json> found;
    for (auto record : read_records(path(output) + "/cells.jsonl")) {
      if (record["type"] != "cell") continue;
      const std::string key = nlohmann::json{record["halting"], record["budget"], record["width"],
                                             record["depth"]}.dump();
      for (const char* field : {"timing", "derived", "source_run"}) record.erase(field);
      found[key] = record;
    }
    return found;
  }
};

TEST_F(GramSweep, DerivedCellsEqualCellsRunOnTheirOwn) {
  const Command derived = run(sweep("derived"));
  ASSERT_EQ(derived.status, 0) << derived.output;
  const Command direct = run(sweep("direct", "--derive false"));
  ASSERT_EQ(direct.status, 0) << direct.output;

  const auto derived_cells = cells("derived");
  const auto direct_cells = cells("direct");
  ASSERT_FALSE(derived_cells.empty());
  EXPECT_EQ(derived_cells.size(), direct_cells.size());
  for (const auto& [key, record] : direct_cells) {
    ASSERT_TRUE(derived_cells.contains(key)) << key;
    EXPECT_EQ(derived_cells.at(key), record) << key;
  }

  // The plan ran fewer trajectory-steps when deriving, and says which cells it derived.
  const auto records = read_records(path("derived") + "/cells.jsonl");
  EXPECT_EQ(records.front()["type"], "context");
  EXPECT_EQ(records.front()["sweep"]["budgets"], nlohmann::json({2.0, 4.0, 8.0}));
  EXPECT_GT(records.front()["peak"]["flops_per_s"].get<double>(), 0.0);
  int derived_count = 0;
  int timed = 0;
  int entropy = 0;
  for (const auto& record : records) {
    if (record["type"] == "entropy") {
      ++entropy;
      // The deepest run with several trajectories: 2 x 4 at budget 8.
      EXPECT_EQ(record["width"], 2) << record.dump();
      EXPECT_EQ(record["entropy_bits"].size(), 4u) << record.dump();
    }
    if (record["type"] != "cell") continue;
    derived_count += record["derived"].get<bool>() ? 1 : 0;
    timed += record["timing"].is_null() ? 0 : 1;
    EXPECT_EQ(record["derived"].get<bool>(), record["timing"].is_null());
    EXPECT_EQ(record["per_puzzle"]["majority"].get<std::string>().size(), 6u);
  }
  EXPECT_GT(derived_count, 0);
  EXPECT_GT(timed, 0);
  EXPECT_EQ(entropy, 2);  // one curve per halting mode
}

TEST_F(GramSweep, ResumesAfterAKillAndEndsWithTheSameCells) {
  ASSERT_EQ(run(sweep("whole")).status, 0);
  // A killed sweep: the context, a few cells, and a torn last line.
  const auto records = read_records(path("whole") + "/cells.jsonl");
  {
    std::filesystem::create_directories(path("killed"));
    std::ofstream file(path("killed") + "/cells.jsonl");
    for (int i = 0; i < 4; ++i) file << records[i].dump() << "\n";
    file << records[4].dump().substr(0, 25);
  }
  const Command resumed = run(sweep("killed"));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("3 from an earlier attempt"), std::string::npos) << resumed.output;
  EXPECT_EQ(cells("killed"), cells("whole"));

  // Nothing left to do: a second resume runs nothing.
  const Command again = run(sweep("killed"));
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("0 runs executed"), std::string::npos) << again.output;
}

TEST_F(GramSweep, RefusesAChangedConfigUnlessAskedToStartOver) {
  ASSERT_EQ(run(sweep("out")).status, 0);
  const Command changed = run(sweep("out", "--seed 7"));
  EXPECT_EQ(changed.status, 1);
  EXPECT_NE(changed.output.find("cells.jsonl: written by a different sweep config"), std::string::npos)
      << changed.output;
  const Command restarted = run(sweep("out", "--seed 7 --overwrite"));
  EXPECT_EQ(restarted.status, 0) << restarted.output;
  EXPECT_EQ(read_records(path("out") + "/cells.jsonl").front()["seed"], 7);
}

// Training FLOPs come from the model file's training record (metadata "gram_training", written
// by the trainer), unless the config's training_flops names the model; unknown otherwise.
TEST_F(GramSweep, TrainingFlopsFromTheModelFileOrTheConfigReachTheContext) {
  const Command unknown = run(sweep("none", "--budgets 2"));
  ASSERT_EQ(unknown.status, 0) << unknown.output;
  EXPECT_TRUE(read_records(path("none") + "/cells.jsonl").front()["models"][0]["training_flops"].is_null());

  gram::model::Model recorded = gram::model::load_model(path("m.safetensors"));
  recorded.metadata["gram_training"] = R"({"training_flops": 3.5e12, "updates": 100})";
  gram::model::save_model(path("m.safetensors"), recorded);
  const Command from_file = run(sweep("file", "--budgets 2"));
  ASSERT_EQ(from_file.status, 0) << from_file.output;
  const auto file_context = read_records(path("file") + "/cells.jsonl").front();
  EXPECT_EQ(file_context["models"][0]["training_flops"], 3.5e12);
  EXPECT_EQ(file_context["models"][0]["training_source"], "model file");

  const Command from_config = run(sweep("config", "--budgets 2 --training_flops tiny=7.5e12"));
  ASSERT_EQ(from_config.status, 0) << from_config.output;
  const auto config_context = read_records(path("config") + "/cells.jsonl").front();
  EXPECT_EQ(config_context["models"][0]["training_flops"], 7.5e12);
  EXPECT_EQ(config_context["models"][0]["training_source"], "config");

  recorded.metadata["gram_training"] = R"({"training_flops": "many"})";
  gram::model::save_model(path("m.safetensors"), recorded);
  const Command broken = run(sweep("broken", "--budgets 2"));
  EXPECT_EQ(broken.status, 1);
  EXPECT_NE(broken.output.find("m.safetensors: metadata 'gram_training' field 'training_flops' "
                               "must be a positive number, got \"many\""),
            std::string::npos)
      << broken.output;
}

TEST_F(GramSweep, BadInputIsOneClearLine) {
  struct Case {
    std::string extra;
    std::string message;
  };
  const Case cases[] = {
      {"--budgets 2.5", "'budgets' in steps must be whole numbers"},
      {"--budgets 0", "'budgets' must be >= 1"},
      {"--strategies width,sideways", "unknown strategy 'sideways'"},
      {"--set colour=blue", "unknown key 'colour'"},
      {"--budgets 1 --strategies width", "no cell fits the budgets"},
      {"--models " + path("missing.safetensors"), "missing.safetensors"},
  };
  for (const Case& c : cases) {
    const Command result = run(sweep("bad", c.extra));
    EXPECT_EQ(result.status, 1) << c.extra << "\n" << result.output;
    EXPECT_NE(result.output.find(c.message), std::string::npos) << c.extra << "\n" << result.output;
    EXPECT_EQ(result.output.find('\n'), result.output.size() - 1) << "one line: " << result.output;
  }
}

}  // namespace
