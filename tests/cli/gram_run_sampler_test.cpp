// `gram run` with a sampler (noise_scale, dropout_rate) and with a verifier file (--verifier),
// end to end through the real executable, on the shipped deterministic model.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cli_fixture.h"
#include "common/distributed_results.h"
#include "model/verifier.h"
#include "model/weights.h"

namespace {

using gram::testing::Command;
using gram::testing::comparable_run;
using gram::testing::GramCli;
using gram::testing::read_records;
using gram::testing::run;

const std::string kModels = std::string(GRAM_SOURCE_DIR) + "/models/";

std::string trm_run(const std::string& extra) {
  return "run --model " + kModels + "sudoku6-trm-small.safetensors --puzzles " + kModels +
         "data/sudoku6-test-hard.txt --limit 6 --width 6 --depth 4 --threads 2 --seed 3 " + extra;
}

// Distinct answers per puzzle, in puzzle order.
std::vector<std::size_t> distinct_answers(const std::vector<nlohmann::json>& records) {
  std::vector<std::size_t> counts;
  for (const auto& record : records) {
    if (record["type"] != "puzzle") continue;
    std::set<std::string> answers;
    for (const auto& trajectory : record["trajectories"]) answers.insert(trajectory["answer"]);
    counts.push_back(answers.size());
  }
  return counts;
}

// Every record but the context, as bytes; the context's sampler block.
std::vector<std::string> record_bytes(const std::string& path) {
  std::vector<std::string> bytes;
  for (const auto& record : comparable_run(path)) {
    if (record["type"] != "context") bytes.push_back(record.dump());
  }
  return bytes;
}

// Zero scale and zero rate turn the samplers off: every puzzle and summary record of the run is
// the deterministic run's, byte for byte (timing fields aside).
TEST_F(GramCli, ZeroSamplerReproducesTheDeterministicRunByteForByte) {
  const Command plain = run(trm_run("--output " + path("plain.jsonl")));
  ASSERT_EQ(plain.status, 0) << plain.output;
  const Command zero = run(trm_run("--noise_scale 0 --noise_at h,l --noise_mode relative "
                                   "--dropout_rate 0 --dropout_sites ffn --output " +
                                   path("zero.jsonl")));
  ASSERT_EQ(zero.status, 0) << zero.output;
  EXPECT_EQ(record_bytes(path("zero.jsonl")), record_bytes(path("plain.jsonl")));
  EXPECT_EQ(read_records(path("zero.jsonl")).front()["sampler"]["label"], "none");
  for (std::size_t count : distinct_answers(read_records(path("plain.jsonl")))) EXPECT_EQ(count, 1u);
}

// Each sampler gives the deterministic model trajectories that differ, recorded in the context.
TEST_F(GramCli, SamplersGiveTheDeterministicModelDiverseTrajectories) {
  struct Setting {
    std::string flags, label;
  };
  for (const Setting& setting :
       {Setting{"--noise_scale 1 --noise_at h", "noise1"},
        Setting{"--noise_scale 1 --noise_mode relative --noise_at h,l", "noise1-relative"},
        Setting{"--dropout_rate 0.3", "dropout0.3"}}) {
    const std::string output = path(setting.label + ".jsonl");
    const Command result = run(trm_run(setting.flags + " --output " + output));
    ASSERT_EQ(result.status, 0) << result.output;
    const auto records = read_records(output);
    EXPECT_EQ(records.front()["sampler"]["label"], setting.label);
    std::size_t diverse = 0;
    for (std::size_t count : distinct_answers(records)) diverse += count > 1;
    EXPECT_GT(diverse, 0u) << setting.label << ": no puzzle got two answers";
    // The same seed draws the same trajectories.
    const Command again = run(trm_run(setting.flags + " --output " + path("again.jsonl")));
    ASSERT_EQ(again.status, 0) << again.output;
    EXPECT_EQ(record_bytes(path("again.jsonl")), record_bytes(output)) << setting.label;
    std::filesystem::remove(path("again.jsonl"));
  }
}

// A deterministic model with a sampler is stochastic, so a latent search may run on it.
TEST_F(GramCli, SearchRunsOnADeterministicModelWithASampler) {
  const Command refused = run(trm_run("--width 1 --search smc --output " + path("no.jsonl")));
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.output.find("is deterministic"), std::string::npos) << refused.output;
  const Command result = run(trm_run("--width 1 --search beam --beams 2 --expand 2 "
                                     "--noise_scale 0.5 --output " + path("beam.jsonl")));
  ASSERT_EQ(result.status, 0) << result.output;
}

// The verifier's score replaces the value head: values change, the FLOPs count it, a model
// without a value head can use best-of-n with it, and a verifier of another shape is refused
// naming both files.
TEST_F(GramCli, VerifierReplacesTheValueHeadAndIsCounted) {
  const std::string model_path = kModels + "sudoku6-trm-small.safetensors";
  const gram::model::Model model = gram::model::load_model(model_path);
  gram::model::VerifierConfig shape;
  shape.reads_h = true;
  shape.all_positions = true;
  shape.hidden = 8;
  gram::model::save_verifier(path("v.safetensors"),
                             gram::model::random_verifier(model.config, shape, 5));
  const Command plain = run(trm_run("--noise_scale 0.5 --output " + path("plain.jsonl")));
  ASSERT_EQ(plain.status, 0) << plain.output;
  const Command verified = run(trm_run("--noise_scale 0.5 --verifier " + path("v.safetensors") +
                                       " --output " + path("verified.jsonl")));
  ASSERT_EQ(verified.status, 0) << verified.output;
  const auto a = read_records(path("plain.jsonl"));
  const auto b = read_records(path("verified.jsonl"));
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(b.front()["verifier"]["path"], path("v.safetensors"));
  const double verifier_flops = 2.0 * 37 * 64 * 8 + 2.0 * 8;
  EXPECT_DOUBLE_EQ(b.front()["verifier"]["flops_per_step"].get<double>(), verifier_flops);
  EXPECT_DOUBLE_EQ(b.front()["model"]["flops_per_step"].get<double>() -
                       a.front()["model"]["flops_per_step"].get<double>(),
                   verifier_flops - 2.0 * 64);
  for (std::size_t i = 1; i + 1 < a.size(); ++i) {
    // Same trajectories, other scores.
    for (std::size_t t = 0; t < a[i]["trajectories"].size(); ++t) {
      EXPECT_EQ(a[i]["trajectories"][t]["answer"], b[i]["trajectories"][t]["answer"]);
      EXPECT_NE(a[i]["trajectories"][t]["value"], b[i]["trajectories"][t]["value"]);
    }
  }
  EXPECT_GT(b.back()["flops"].get<double>(), a.back()["flops"].get<double>());

  gram::model::ModelConfig other = model.config;
  other.hidden_size = 32;
  gram::model::save_verifier(path("other.safetensors"),
                             gram::model::random_verifier(other, shape, 5));
  const Command refused = run(trm_run("--verifier " + path("other.safetensors") + " --output " +
                                      path("refused.jsonl")));
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.output.find(path("other.safetensors") +
                                ": the verifier reads states of hidden_size 32 at 37 positions"),
            std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find(model_path + " has hidden_size 64"), std::string::npos)
      << refused.output;
  EXPECT_FALSE(std::filesystem::exists(path("refused.jsonl")));
}

}  // namespace
