// The samplers (engine/sampler.h) and an attached verifier (model/verifier.h) in the forward
// pass: against the plain reference of reference_model.h (which reads the documented counter
// layout on its own), the zero-setting identity, row-cap determinism, and the checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "backend/backend.h"
#include "common/tiny_model_config.h"
#include "engine/recursive_model.h"
#include "engine/runner.h"
#include "engine/sampler.h"
#include "model/verifier.h"
#include "reference_model.h"
#include "tasks/task.h"
#include "util/error.h"

namespace gram {
namespace {

model::ModelConfig config_of(model::Mixer mixer, bool shared, bool noise) {
  return testing::tiny_config(mixer, shared, noise, model::PositionEncoding::kNone, 16, 12);
}

const std::vector<std::int32_t> kInput = {1, 2, 1, 5, 1, 1, 3, 1, 4, 1, 1, 1, 1, 3, 1, 2};

struct Case {
  const char* name;
  model::Mixer mixer;
  bool shared;
  bool noise;  // GRAM's own prior noise, combined with the sampler
  engine::SamplerSettings sampler;
};
void PrintTo(const Case& c, std::ostream* stream) { *stream << c.name; }

testing::ReferenceModel::Sampler reference_sampler(const engine::SamplerSettings& s) {
  testing::ReferenceModel::Sampler r;
  r.noise_scale = s.noise_scale;
  r.relative = s.noise_relative;
  r.after_h = s.noise_after_h;
  r.after_l = s.noise_after_l;
  r.dropout_rate = s.dropout_rate;
  r.in_h = s.dropout_in_h;
  r.in_l = s.dropout_in_l;
  r.mixer = s.dropout_mixer;
  r.ffn = s.dropout_ffn;
  r.layers = s.dropout_layers;
  return r;
}

engine::SamplerSettings noise(double scale, bool relative, bool h, bool l) {
  engine::SamplerSettings s;
  s.noise_scale = scale;
  s.noise_relative = relative;
  s.noise_after_h = h;
  s.noise_after_l = l;
  return s;
}

engine::SamplerSettings dropout(double rate, bool h, bool l, bool mixer, bool ffn,
                                std::vector<int> layers) {
  engine::SamplerSettings s;
  s.dropout_rate = rate;
  s.dropout_in_h = h;
  s.dropout_in_l = l;
  s.dropout_mixer = mixer;
  s.dropout_ffn = ffn;
  s.dropout_layers = std::move(layers);
  return s;
}

class SamplerParity : public ::testing::TestWithParam<Case> {};

// Two supervision steps of three trajectories; every state element within 2e-3 of the
// reference, and the trajectories of one puzzle apart from each other.
TEST_P(SamplerParity, MatchesTheReference) {
  const Case c = GetParam();
  const model::Model m = model::random_model(config_of(c.mixer, c.shared, c.noise), 7);
  auto backend = backend::make_cpu_backend(1);
  engine::RecursiveModel engine_model(m, *backend, 3, c.sampler);
  testing::ReferenceModel reference(m);
  reference.set_sampler(reference_sampler(c.sampler));
  std::vector<backend::NoiseRow> keys = {{5, 0, 0}, {5, 1, 0}, {5, 2, 0}};
  std::vector<testing::ReferenceModel::State> states;
  for (int slot = 0; slot < 3; ++slot) {
    engine_model.start_row(slot, kInput);
    states.push_back(reference.start(kInput));
  }
  for (std::uint32_t step = 0; step < 2; ++step) {
    for (auto& key : keys) key.step = step;
    engine_model.supervision_step(3, keys, 42);
    for (int slot = 0; slot < 3; ++slot) reference.supervision_step(states[slot], 42, 5, slot, step);
  }
  std::vector<float> h0;
  for (int slot = 0; slot < 3; ++slot) {
    std::vector<float> h, l;
    engine_model.read_state(slot, h, l);
    double worst = 0;
    for (std::size_t i = 0; i < h.size(); ++i) {
      worst = std::max(worst, std::abs(double(h[i]) - states[slot].h[i]));
      worst = std::max(worst, std::abs(double(l[i]) - states[slot].l[i]));
    }
    EXPECT_LT(worst, 2e-3) << c.name << " slot " << slot;
    if (slot == 0) h0 = h;
    if (slot > 0) EXPECT_NE(h, h0) << c.name << ": trajectories of one puzzle must differ";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Samplers, SamplerParity,
    ::testing::Values(
        Case{"mlp_t_noise_h_and_l", model::Mixer::kMlpT, true, false, noise(0.3, false, true, true)},
        Case{"mlp_t_relative_noise_h", model::Mixer::kMlpT, true, false, noise(0.2, true, true, false)},
        Case{"mlp_t_dropout_everywhere", model::Mixer::kMlpT, true, false,
             dropout(0.2, true, true, true, true, {})},
        Case{"attention_dropout_ffn_of_layer_1_in_h", model::Mixer::kAttention, false, false,
             dropout(0.3, true, false, false, true, {1})},
        Case{"attention_mixer_dropout_in_l", model::Mixer::kAttention, true, false,
             dropout(0.1, false, true, true, false, {0})},
        Case{"gram_prior_with_noise_on_l", model::Mixer::kMlpT, false, true,
             noise(0.1, false, false, true)}),
    [](const auto& info) { return std::string(info.param.name); });

// Runs every trajectory of `puzzles` and returns (hash, value bits) per (puzzle, trajectory).
using Results = std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<std::uint64_t, std::uint32_t>>;
Results run(const model::Model& m, const engine::SamplerSettings& sampler, int row_cap,
            int width, int threads, const model::Verifier* verifier = nullptr) {
  const auto task = tasks::make_task(tasks::TaskSpec::parse("sudoku:4"));
  tasks::GenerateOptions options;
  options.count = 4;
  options.seed = 3;
  const auto puzzles = task->generate(options);
  auto backend = backend::make_cpu_backend(threads);
  engine::RecursiveModel recursive(m, *backend, row_cap, sampler);
  if (verifier) recursive.attach_verifier(*verifier);
  engine::RunSettings settings;
  settings.depth = 3;
  settings.seed = 11;
  engine::Runner runner(recursive, *task, settings);
  Results results;
  runner.run(puzzles, engine::make_work(0, 4, width), [&](engine::TrajectoryResult&& r) {
    results[{r.puzzle, r.trajectory}] = {r.answer_hash, std::bit_cast<std::uint32_t>(r.value)};
  });
  return results;
}

// Zero scale and zero rate are the model itself, bit for bit, whatever else is set.
TEST(Samplers, ZeroScaleAndZeroRateAreTheDeterministicModel) {
  const model::Model m = model::random_model(config_of(model::Mixer::kMlpT, true, false), 4);
  engine::SamplerSettings zero = dropout(0.0, true, true, true, true, {});
  zero.noise_scale = 0.0;
  zero.noise_after_l = true;
  EXPECT_FALSE(zero.active());
  EXPECT_EQ(run(m, {}, 8, 3, 2), run(m, zero, 8, 3, 2));
  // Without a sampler a deterministic model gives one answer per puzzle.
  std::set<std::uint64_t> answers;
  for (const auto& [key, value] : run(m, {}, 8, 3, 2)) {
    if (key.first == 0) answers.insert(value.first);
  }
  EXPECT_EQ(answers.size(), 1u);
}

// With a sampler, trajectory t is a function of (seed, puzzle, t, ...): any row cap and thread
// count gives the same answers and value bits.
TEST(Samplers, TrajectoriesDoNotDependOnTheRowCapOrThreads) {
  const model::Model m = model::random_model(config_of(model::Mixer::kAttention, false, false), 5);
  engine::SamplerSettings both = noise(0.5, true, true, true);
  both.dropout_rate = 0.2;
  const Results reference = run(m, both, 24, 6, 1);
  for (int cap : {1, 5, 13}) {
    for (int threads : {1, 2}) {
      EXPECT_EQ(run(m, both, cap, 6, threads), reference) << "row cap " << cap << ", " << threads;
    }
  }
  // The first trajectories of a wider run are the narrower run's (prefixes, as sweeps read).
  const Results narrow = run(m, both, 7, 2, 2);
  for (const auto& [key, value] : narrow) EXPECT_EQ(reference.at(key), value);
}

TEST(Samplers, SettingsTheModelCannotRunAreRefusedNamingIt) {
  model::Model m = model::random_model(config_of(model::Mixer::kMlpT, true, false), 1);
  m.source = "m.safetensors";
  auto backend = backend::make_cpu_backend(1);
  const engine::SamplerSettings bad_layer = dropout(0.1, true, true, true, true, {2});
  try {
    engine::RecursiveModel recursive(m, *backend, 1, bad_layer);
    FAIL() << "layer 2 of a 2-layer model was accepted";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "dropout_layers: m.safetensors has layers 0..1, not layer 2");
  }
  model::ModelConfig deep = config_of(model::Mixer::kMlpT, true, false);
  deep.l_cycles = 400;
  deep.num_layers = 8;
  EXPECT_THROW(engine::check_sampler(noise(0.1, false, true, false), deep, "deep.safetensors"),
               Error);
  EXPECT_NO_THROW(engine::check_sampler({}, deep, "deep.safetensors"));
}

TEST(Samplers, LabelsAndRecords) {
  EXPECT_EQ(engine::sampler_label({}), "none");
  EXPECT_EQ(engine::sampler_label(noise(0.1, false, true, false)), "noise0.1");
  EXPECT_EQ(engine::sampler_label(noise(0.25, true, true, false)), "noise0.25-relative");
  engine::SamplerSettings both = noise(0.5, false, true, true);
  both.dropout_rate = 0.05;
  EXPECT_EQ(engine::sampler_label(both), "noise0.5+dropout0.05");
  const nlohmann::json json = engine::sampler_json(both);
  EXPECT_EQ(json["noise"]["at"], nlohmann::json({"h", "l"}));
  EXPECT_EQ(json["dropout"]["layers"], "all");
  EXPECT_TRUE(engine::sampler_json({})["noise"].is_null());
  const engine::SamplerSettings made =
      engine::make_sampler(0.2, "relative", {"l"}, 0.1, {"h"}, {"ffn"}, {1});
  EXPECT_TRUE(made.noise_relative && made.noise_after_l && !made.noise_after_h);
  EXPECT_TRUE(made.dropout_in_h && !made.dropout_in_l && made.dropout_ffn && !made.dropout_mixer);
  EXPECT_TRUE(made.drops_layer(1) && !made.drops_layer(0));
}

model::VerifierConfig verifier_shape(bool h, bool l, bool all, int hidden) {
  model::VerifierConfig v;
  v.reads_h = h;
  v.reads_l = l;
  v.all_positions = all;
  v.hidden = hidden;
  return v;
}

// The attached verifier's value is sigmoid of the reference's score on the same state, for each
// input shape; a model without a value head gets values from it.
TEST(Verifier, ScoresTheStateAsTheReferenceDoes) {
  model::ModelConfig config = config_of(model::Mixer::kMlpT, true, false);
  config.has_value_head = false;
  const model::Model m = model::random_model(config, 2);
  testing::ReferenceModel reference(m);
  const std::vector<model::VerifierConfig> shapes = {
      verifier_shape(true, false, false, 0), verifier_shape(true, false, true, 8),
      verifier_shape(true, true, true, 5), verifier_shape(false, true, false, 3)};
  for (const model::VerifierConfig& shape : shapes) {
    const model::Verifier verifier = model::random_verifier(config, shape, 9);
    auto backend = backend::make_cpu_backend(1);
    engine::RecursiveModel engine_model(m, *backend, 2);
    EXPECT_FALSE(engine_model.has_value_source());
    engine_model.attach_verifier(verifier);
    EXPECT_TRUE(engine_model.has_value_source());
    std::vector<backend::NoiseRow> keys = {{0, 0, 0}, {1, 0, 0}};
    engine_model.start_row(0, kInput);
    std::vector<std::int32_t> other = kInput;
    other[3] = 2;
    engine_model.start_row(1, other);
    engine_model.supervision_step(2, keys, 1);
    std::vector<engine::StepOutput> outputs;
    engine_model.read_heads(2, outputs);
    testing::ReferenceModel::State state = reference.start(kInput);
    reference.supervision_step(state, 1, 0, 0, 0);
    const double logit = reference.verifier_logit(verifier, state);
    EXPECT_NEAR(outputs[0].value, 1.0 / (1.0 + std::exp(-logit)), 1e-4)
        << verifier.config.to_json().dump();
    engine::HeadValues values;
    engine_model.read_head_values(0, values);
    EXPECT_NEAR(values.value_logit, logit, 1e-3);
    EXPECT_NE(outputs[0].value, outputs[1].value);
  }
}

std::vector<int> argmax_cells(const std::vector<float>& logits, int vocab) {
  std::vector<int> answer;
  for (std::size_t first = 0; first < logits.size(); first += vocab) {
    const auto cell = logits.begin() + static_cast<std::ptrdiff_t>(first);
    answer.push_back(static_cast<int>(std::max_element(cell, cell + vocab) - cell));
  }
  return answer;
}

// A verifier reading "confidence" and "answer" scores each row on its own answers: the
// reference's statistics of this step's logits and answer against the row's previous answer,
// which travels with move_row and is forgotten by start_row, and the answer one-hot.
TEST(Verifier, ConfidenceAndAnswerReadTheRowsLastTwoAnswers) {
  model::ModelConfig config = config_of(model::Mixer::kMlpT, true, false);
  const model::Model m = model::random_model(config, 3);
  testing::ReferenceModel reference(m);
  model::VerifierConfig shape = verifier_shape(true, false, false, 4);
  shape.reads_confidence = shape.reads_answer = true;
  const model::Verifier verifier = model::random_verifier(config, shape, 5);
  auto backend = backend::make_cpu_backend(1);
  engine::RecursiveModel engine_model(m, *backend, 2);
  engine_model.attach_verifier(verifier);
  std::vector<std::int32_t> other = kInput;
  other[3] = 2;
  // The reference: both inputs, two steps each; logits and answers after each.
  auto expected = [&](const std::vector<std::int32_t>& input, int steps) {
    testing::ReferenceModel::State state = reference.start(input);
    std::vector<int> previous, answer;
    double logit = 0;
    for (int step = 0; step < steps; ++step) {
      reference.supervision_step(state, 1, 0, 0, static_cast<std::uint32_t>(step));
      const auto heads = reference.heads(state);
      previous = answer;
      answer = argmax_cells(heads.logits, config.vocab_size);
      logit = reference.verifier_logit(
          verifier, state, reference.confidence(heads.logits, config.vocab_size, answer, previous),
          answer);
    }
    return 1.0 / (1.0 + std::exp(-logit));
  };
  std::vector<engine::StepOutput> outputs;
  auto step = [&](int rows) {
    const std::vector<backend::NoiseRow> keys(rows, backend::NoiseRow{0, 0, 0});
    engine_model.supervision_step(rows, keys, 1);
    engine_model.read_heads(rows, outputs);
  };
  engine_model.start_row(0, kInput);
  engine_model.start_row(1, other);
  step(2);
  EXPECT_NEAR(outputs[0].value, expected(kInput, 1), 1e-4);
  EXPECT_NEAR(outputs[1].value, expected(other, 1), 1e-4);
  engine_model.move_row(1, 0);  // row 0 continues `other`, with its previous answer
  step(1);
  EXPECT_NEAR(outputs[0].value, expected(other, 2), 1e-4);
  engine_model.start_row(0, kInput);  // a new trajectory has no previous answer
  step(1);
  EXPECT_NEAR(outputs[0].value, expected(kInput, 1), 1e-4);
}

// A verifier is a row's own arithmetic too: its values do not depend on the row cap.
TEST(Verifier, ValuesDoNotDependOnTheRowCap) {
  const model::Model m = model::random_model(config_of(model::Mixer::kMlpT, true, false), 6);
  const model::Verifier verifier =
      model::random_verifier(m.config, verifier_shape(true, true, true, 6), 4);
  const engine::SamplerSettings sampler = noise(0.4, false, true, false);
  const Results reference = run(m, sampler, 16, 4, 1, &verifier);
  EXPECT_EQ(run(m, sampler, 3, 4, 2, &verifier), reference);
  EXPECT_NE(run(m, sampler, 16, 4, 1), reference);  // the value head's scores differ
  model::VerifierConfig with_confidence = verifier_shape(true, false, false, 3);
  with_confidence.reads_confidence = true;
  const model::Verifier confident = model::random_verifier(m.config, with_confidence, 8);
  const Results confident_reference = run(m, sampler, 16, 4, 1, &confident);
  for (int cap : {3, 5}) EXPECT_EQ(run(m, sampler, cap, 4, 2, &confident), confident_reference);
}

TEST(Verifier, FlopsReplaceTheValueHead) {
  const model::ModelConfig config = config_of(model::Mixer::kMlpT, true, false);
  const model::FlopCounts plain = model::count_flops(config);
  const model::VerifierConfig shape = [&] {
    model::VerifierConfig v = verifier_shape(true, true, true, 8);
    v.model_hidden_size = config.hidden_size;
    v.model_positions = config.positions();
    return v;
  }();
  // Two states of 18 x 16 inputs into 8, then 8 into 1.
  EXPECT_DOUBLE_EQ(model::verifier_flops(shape), 2 * (2.0 * 18 * 16 * 8) + 2.0 * 8);
  model::VerifierConfig confident = shape;
  confident.reads_confidence = true;  // and six statistics into 8
  EXPECT_DOUBLE_EQ(model::verifier_flops(confident), model::verifier_flops(shape) + 2.0 * 6 * 8);
  confident.reads_answer = true;      // and L V = 16 x 12 one-hot inputs into 8
  confident.model_seq_len = 16;
  confident.model_vocab_size = 12;
  EXPECT_DOUBLE_EQ(model::verifier_flops(confident),
                   model::verifier_flops(shape) + 2.0 * 6 * 8 + 2.0 * 16 * 12 * 8);
  const model::FlopCounts with = model::with_verifier(plain, config, shape);
  EXPECT_DOUBLE_EQ(with.per_step - plain.per_step, model::verifier_flops(shape) - 2.0 * 16);
  EXPECT_DOUBLE_EQ(with.per_application, plain.per_application);
}

}  // namespace
}  // namespace gram
