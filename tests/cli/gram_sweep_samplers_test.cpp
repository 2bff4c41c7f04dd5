// `gram sweep` with samplers and a verifier, end to end: each sampler setting is a model of the
// sweep (its own cells, runs, entropy and resume), its cells are what `gram run` with the same
// sampler gives, and `gram report` writes the samplers section. On a random deterministic
// N-Queens model, where coverage shows what one answer per puzzle cannot reach.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "common/cli_fixture.h"
#include "model/verifier.h"
#include "model/weights.h"

namespace {

using gram::testing::Command;
using gram::testing::read_records;
using gram::testing::run;

class GramSweepSamplers : public gram::testing::GramCli {
 protected:
  void SetUp() override {
    GramCli::SetUp();
    nlohmann::json config = {{"task", "nqueens:6"}, {"vocab_size", 3}, {"seq_len", 36},
                             {"prefix_len", 1}, {"hidden_size", 16}, {"num_layers", 2},
                             {"mixer", "mlp_t"}, {"mlp_t_hidden", 16}, {"ffn_hidden", 32},
                             {"l_cycles", 2}, {"h_cycles", 2}, {"max_steps", 8},
                             {"has_value_head", false}};
    write("config.json", config.dump());
    ASSERT_EQ(run("generate --random-model " + path("config.json") + " --seed 4 --output " +
                  path("m.safetensors")).status, 0);
    ASSERT_EQ(run("generate --task nqueens:6 --count 6 --seed 2 --removed 4 --output " +
                  path("p.txt")).status, 0);
    gram::model::VerifierConfig shape;
    shape.all_positions = true;
    shape.hidden = 4;
    gram::model::save_verifier(
        path("v.safetensors"),
        gram::model::random_verifier(gram::model::load_model(path("m.safetensors")).config,
                                     shape, 2));
  }
  std::string sweep(const std::string& output) const {
    return "sweep --models q=" + path("m.safetensors") + " --puzzles " + path("p.txt") +
           " --output " + path(output) + " --budgets 4,8 --strategies width,depth "
           "--fixed_depth 2 --threads 1 --samplers none,noise:1,dropout:0.3 --noise_at h,l "
           "--verifiers q=" + path("v.safetensors") +
           " --aggregators majority,best_of_n,oracle";
  }
};

TEST_F(GramSweepSamplers, EachSettingIsAModelOfTheSweep) {
  const Command result = run(sweep("s"));
  ASSERT_EQ(result.status, 0) << result.output;
  const auto records = read_records(path("s") + "/cells.jsonl");
  const nlohmann::json& context = records.front();
  ASSERT_EQ(context["models"].size(), 3u);
  std::map<std::string, nlohmann::json> models;
  for (const auto& model : context["models"]) models[model["name"]] = model;
  EXPECT_EQ(models.at("q")["sampler"]["kind"], "none");
  EXPECT_EQ(models.at("q+noise1")["sampler"]["noise"]["at"], nlohmann::json({"h", "l"}));
  EXPECT_EQ(models.at("q+dropout0.3")["sampler"]["dropout"]["rate"], 0.3);
  for (const auto& [name, model] : models) {
    EXPECT_EQ(model["base"], "q") << name;
    EXPECT_EQ(model["verifier"]["path"], path("v.safetensors")) << name;
  }
  // Cells per model, and the answers' spread: one answer per puzzle without a sampler.
  std::map<std::string, int> cells;
  std::map<std::string, double> entropy;
  for (const auto& record : records) {
    if (record["type"] == "cell") ++cells[record["model"]];
    if (record["type"] == "entropy") {
      double total = 0;
      for (double bits : record["entropy_bits"]) total += bits;
      entropy[record["model"]] = total;
    }
  }
  EXPECT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells["q"], cells["q+noise1"]);
  EXPECT_EQ(entropy.at("q"), 0.0);
  EXPECT_GT(entropy.at("q+noise1"), 0.0);
  EXPECT_GT(entropy.at("q+dropout0.3"), 0.0);
  // Runs are named by the variant.
  EXPECT_TRUE(std::filesystem::exists(path("s") + "/runs/q+noise1-nohalt-w4-d2.jsonl"));

  // A rerun resumes every cell; the report has the samplers section and its tables.
  const Command again = run(sweep("s"));
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("0 runs executed"), std::string::npos) << again.output;
  const Command report = run("report " + path("s") + " --no-figures");
  ASSERT_EQ(report.status, 0) << report.output;
  std::ifstream markdown(path("s") + "/report/report.md");
  const std::string text((std::istreambuf_iterator<char>(markdown)), {});
  EXPECT_NE(text.find("## Samplers: width for a deterministic model"), std::string::npos);
  EXPECT_NE(text.find("q, noise (budget 8"), std::string::npos) << text;
  const auto table = nlohmann::json::parse(
      std::ifstream(path("s") + "/report/tables/samplers.json"));
  std::set<std::string> variants;
  for (const auto& row : table["rows"]) {
    variants.insert(row["variant"]);
    if (row["variant"] != "q") {
      EXPECT_EQ(row["depth_width"], 1);  // against the unperturbed model's depth cell
      EXPECT_FALSE(row["p_value"].is_null());
    }
    EXPECT_FALSE(row["coverage"].is_null());
  }
  EXPECT_EQ(variants, (std::set<std::string>{"q", "q+noise1", "q+dropout0.3"}));
}

// A variant's cell is what `gram run` with the same sampler and verifier gives, puzzle by puzzle.
TEST_F(GramSweepSamplers, VariantCellsAreTheRunsOfTheirSampler) {
  ASSERT_EQ(run(sweep("s")).status, 0);
  nlohmann::json cell;
  for (const auto& record : read_records(path("s") + "/cells.jsonl")) {
    if (record["type"] == "cell" && record["model"] == "q+noise1" && record["width"] == 4 &&
        record["depth"] == 2) {
      cell = record;
    }
  }
  ASSERT_FALSE(cell.is_null());
  const Command direct = run("run --model " + path("m.safetensors") + " --puzzles " + path("p.txt") +
                             " --width 4 --depth 2 --threads 1 --noise_scale 1 --noise_at h,l "
                             "--verifier " + path("v.safetensors") +
                             " --aggregators majority,best_of_n,oracle --output " + path("r.jsonl"));
  ASSERT_EQ(direct.status, 0) << direct.output;
  std::string majority, best;
  for (const auto& record : read_records(path("r.jsonl"))) {
    if (record["type"] != "puzzle") continue;
    majority += record["aggregate"]["majority"]["correct"].get<bool>() ? '1' : '0';
    best += record["aggregate"]["best_of_n"]["correct"].get<bool>() ? '1' : '0';
  }
  EXPECT_EQ(cell["per_puzzle"]["majority"], majority);
  EXPECT_EQ(cell["per_puzzle"]["best_of_n"], best);
}

}  // namespace
