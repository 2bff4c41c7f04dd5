// The engine against golden files written by the PyTorch reference (tools/make_golden.py,
// tools/gram_reference), one tiny model per architecture variant.
//
// Each case checks two things:
//  1. the same Philox eps on both sides: rng::normal4 with the file's seed, puzzle, trajectory,
//     step and transition gives the eps the reference drew (tolerance 1e-6; in practice equal
//     bit for bit, since the reference calls the same glibc sincosf/logf);
//  2. the forward pass: RecursiveModel on the CPU backend, fed the same input and seed, matches
//     the reference's h, l, logits, q and value after every supervision step within
//     |engine - golden| <= kAbsolute + kRelative * |golden|. The golden values are a float64
//     forward of the float32 weights, so this bounds the engine's own fp32 error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "deviation.h"
#include "engine/recursive_model.h"
#include "engine/sampler.h"
#include "model/safetensors.h"
#include "model/weights.h"
#include "rng/philox_noise.h"

#include <nlohmann/json.hpp>

namespace gram {
namespace {

constexpr double kEpsTolerance = 1e-6;
// Within deviation.h's tolerance; achieved on x86-64: worst 1.9e-6 over 3 steps (states of
// magnitude up to ~3).
using golden::Deviation;
// A halting decision is only compared when its margin is clear of fp32 noise.
constexpr double kHaltMargin = 1e-3;

std::string golden_dir() { return std::string(GRAM_SOURCE_DIR) + "/tests/golden/"; }

// The samplers a golden case runs with (its "sampler" metadata, as the reference wrote it):
// those cases check the samplers' counter layout against the reference's own Philox.
engine::SamplerSettings sampler_of(const nlohmann::json& json) {
  if (json.is_null()) return {};
  auto strings = [](const nlohmann::json& items) {
    return items.get<std::vector<std::string>>();
  };
  const nlohmann::json& noise = json["noise"];
  const nlohmann::json& dropout = json["dropout"];
  std::vector<int> layers;
  if (!dropout.is_null() && dropout["layers"].is_array()) {
    layers = dropout["layers"].get<std::vector<int>>();
  }
  return engine::make_sampler(
      noise.is_null() ? 0.0 : noise["scale"].get<double>(),
      noise.is_null() ? "absolute" : noise["mode"].get<std::string>(),
      noise.is_null() ? std::vector<std::string>{} : strings(noise["at"]),
      dropout.is_null() ? 0.0 : dropout["rate"].get<double>(),
      dropout.is_null() ? std::vector<std::string>{} : strings(dropout["at"]),
      dropout.is_null() ? std::vector<std::string>{} : strings(dropout["sites"]), layers);
}

struct Golden {
  model::SafetensorsFile file;
  std::vector<float> values(const std::string& name) const {
    return model::to_float32(file.tensors.at(name));
  }
  bool has(const std::string& name) const { return file.tensors.count(name) != 0; }
  const std::string& meta(const std::string& key) const { return file.metadata.at(key); }
};

class GoldenParity : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenParity, EngineMatchesReference) {
  const std::string name = GetParam();
  const model::Model m = model::load_model(golden_dir() + name + ".model.safetensors");
  Golden golden{model::read_safetensors(golden_dir() + name + ".golden.safetensors")};
  const auto& c = m.config;
  const int S = c.positions(), D = c.hidden_size, L = c.seq_len, V = c.vocab_size;
  const int T = c.h_cycles;

  const std::uint64_t seed = std::stoull(golden.meta("seed"));
  const auto puzzle = static_cast<std::uint32_t>(std::stoul(golden.meta("puzzle")));
  const int steps = std::stoi(golden.meta("steps"));
  std::vector<std::uint32_t> trajectories;
  {
    std::stringstream list(golden.meta("trajectories"));
    for (std::string item; std::getline(list, item, ',');) trajectories.push_back(std::stoul(item));
  }
  const int rows = static_cast<int>(trajectories.size());
  ASSERT_GT(rows, 0);

  const std::vector<float> input_values = golden.values("input");
  std::vector<std::int32_t> input(input_values.begin(), input_values.end());
  ASSERT_EQ(static_cast<int>(input.size()), L);

  // 1. The same Philox eps through both sides.
  ASSERT_EQ(golden.has("eps"), c.noise.enabled) << name;
  if (c.noise.enabled) {
    const std::vector<float> eps = golden.values("eps");  // (R, steps, T, S, D)
    ASSERT_EQ(eps.size(), static_cast<std::size_t>(rows) * steps * T * S * D);
    double worst = 0;
    std::size_t identical = 0;
    std::size_t index = 0;
    for (int r = 0; r < rows; ++r) {
      for (int step = 0; step < steps; ++step) {
        for (int t = 0; t < T; ++t) {
          rng::NoiseKey key{seed, puzzle, trajectories[r], static_cast<std::uint32_t>(step),
                            static_cast<std::uint32_t>(t)};
          for (int element = 0; element < S * D; ++element, ++index) {
            float four[4];
            rng::normal4(key, static_cast<std::uint32_t>(element / 4), four);
            const float engine = four[element % 4];
            worst = std::max(worst, std::abs(static_cast<double>(engine) - eps[index]));
            identical += engine == eps[index];
          }
        }
      }
    }
    EXPECT_LE(worst, kEpsTolerance) << name;
    std::printf("%s: eps %zu of %zu bit-identical, worst |difference| %.3g\n", name.c_str(),
                identical, eps.size(), worst);
  }

  // 2. The forward pass, step by step.
  auto backend = backend::make_cpu_backend(1);
  const engine::SamplerSettings sampler = sampler_of(
      golden.file.metadata.count("sampler") ? nlohmann::json::parse(golden.meta("sampler"))
                                            : nlohmann::json());
  engine::RecursiveModel engine_model(m, *backend, rows, sampler);
  for (int slot = 0; slot < rows; ++slot) engine_model.start_row(slot, input);
  const std::vector<float> golden_h = golden.values("h");            // (R, steps, S, D)
  const std::vector<float> golden_l = golden.values("l");            // (R, steps, S, D)
  const std::vector<float> golden_logits = golden.values("logits");  // (R, steps, L, V)
  const std::vector<float> golden_q = golden.values("q");            // (R, steps, 2)
  const std::vector<float> golden_halt = golden.values("halt");      // (R, steps)
  ASSERT_EQ(golden.has("value"), c.has_value_head);
  const std::vector<float> golden_value =
      c.has_value_head ? golden.values("value") : std::vector<float>();  // (R, steps)

  Deviation state, logits, heads;
  int halts_compared = 0;
  std::vector<backend::NoiseRow> keys(rows);
  std::vector<engine::StepOutput> outputs;
  for (int step = 0; step < steps; ++step) {
    for (int r = 0; r < rows; ++r) keys[r] = {puzzle, trajectories[r], static_cast<std::uint32_t>(step)};
    engine_model.supervision_step(rows, keys, seed);
    engine_model.read_heads(rows, outputs);
    for (int r = 0; r < rows; ++r) {
      const std::size_t at = static_cast<std::size_t>(r) * steps + step;
      std::vector<float> h, l;
      engine_model.read_state(r, h, l);
      for (int i = 0; i < S * D; ++i) {
        state.add(h[i], golden_h[at * S * D + i]);
        state.add(l[i], golden_l[at * S * D + i]);
      }
      engine::HeadValues values;
      engine_model.read_head_values(r, values);
      for (int i = 0; i < L * V; ++i) logits.add(values.logits[i], golden_logits[at * L * V + i]);
      const double q_halt = golden_q[at * 2], q_continue = golden_q[at * 2 + 1];
      heads.add(values.q_halt, q_halt);
      heads.add(values.q_continue, q_continue);
      if (c.has_value_head) {
        heads.add(values.value_logit, golden_value[at]);
        EXPECT_NEAR(outputs[r].value, 1.0 / (1.0 + std::exp(-golden_value[at])), 1e-4);
      }
      const double margin = c.halt_rule == model::HaltRule::kSigmoid ? q_halt : q_halt - q_continue;
      if (std::abs(margin) > kHaltMargin) {
        EXPECT_EQ(outputs[r].wants_halt, golden_halt[at] != 0.0f)
            << name << " trajectory " << trajectories[r] << " step " << step;
        ++halts_compared;
      }
    }
  }
  EXPECT_LE(state.worst_excess, 0.0) << name << ": h/l worst |difference| " << state.worst_absolute;
  EXPECT_LE(logits.worst_excess, 0.0) << name << ": logits worst |difference| " << logits.worst_absolute;
  EXPECT_LE(heads.worst_excess, 0.0) << name << ": q/value worst |difference| " << heads.worst_absolute;
  EXPECT_GT(halts_compared, 0);
  std::printf("%s: worst |difference| h/l %.3g, logits %.3g, q/value %.3g over %d steps\n",
              name.c_str(), state.worst_absolute, logits.worst_absolute, heads.worst_absolute,
              steps);
}

INSTANTIATE_TEST_SUITE_P(
    AllVariants, GoldenParity,
    ::testing::Values("mlp_t_shared_noise", "mlp_t_separate_noise_learned",
                      "mlp_t_shared_deterministic", "attention_shared_noise_rope",
                      "attention_separate_deterministic_rope", "attention_separate_noise_learned",
                      "mlp_t_shared_deterministic_sampled", "attention_separate_noise_sampled"),
    [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace gram
