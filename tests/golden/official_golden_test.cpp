// The engine against the official TRM and HRM code (tests/golden/official/, written by
// tools/make_official_golden.py from the official repositories at the commit each file names).
//
// Each case is an official ACT model with damped random weights, its state dict converted by
// tools/convert.py exactly as a user converts a checkpoint, and what the official forward pass
// (fp32, eval mode) gave on four boards over 16 supervision steps. The engine, fed the same
// boards, must give the same logits and Q values within |engine - official| <= kAbsolute +
// kRelative * |official| at every step, the same board (argmax) wherever the official top two
// logits are clear of fp32 noise, and the same halting decision wherever its margin is.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "deviation.h"
#include "engine/recursive_model.h"
#include "model/safetensors.h"
#include "model/weights.h"

namespace gram {
namespace {

// Both sides run fp32 with their own summation orders; within deviation.h's tolerance, the worst
// deviations measured over 16 steps are 3.6e-7 in logits (|logits| < 1) and 3.8e-6 in Q
// (|q| < 8), printed by each case.
using golden::Deviation;
// Decisions (the argmax of a cell, a halt) are compared only where the official margin is wider.
constexpr double kMargin = 1e-4;

std::string official_dir() { return std::string(GRAM_SOURCE_DIR) + "/tests/golden/official/"; }

// The largest logit's index, and its lead over the second.
std::pair<int, double> top(const float* logits, int count) {
  int best = 0;
  for (int i = 1; i < count; ++i) best = logits[i] > logits[best] ? i : best;
  double second = -INFINITY;
  for (int i = 0; i < count; ++i) {
    if (i != best) second = std::max(second, static_cast<double>(logits[i]));
  }
  return {best, logits[best] - second};
}

class OfficialParity : public ::testing::TestWithParam<const char*> {};

TEST_P(OfficialParity, EngineMatchesTheOfficialCode) {
  const std::string name = GetParam();
  const model::Model m = model::load_model(official_dir() + name + ".model.safetensors");
  const model::SafetensorsFile golden =
      model::read_safetensors(official_dir() + name + ".golden.safetensors");
  auto values = [&](const char* tensor) { return model::to_float32(golden.tensors.at(tensor)); };
  const int L = m.config.seq_len, V = m.config.vocab_size;
  const int steps = std::stoi(golden.metadata.at("steps"));
  const std::vector<float> inputs = values("input");  // (B, L)
  const int boards = static_cast<int>(inputs.size()) / L;
  ASSERT_GT(boards, 0);
  const std::vector<float> official_logits = values("logits");  // (B, steps, L, V)
  const std::vector<float> official_q = values("q");            // (B, steps, 2)
  const std::vector<float> official_halt = values("halt");      // (B, steps)
  ASSERT_EQ(official_logits.size(), static_cast<std::size_t>(boards) * steps * L * V);

  auto backend = backend::make_cpu_backend(1);
  engine::RecursiveModel engine_model(m, *backend, boards, {});
  for (int b = 0; b < boards; ++b) {
    engine_model.start_row(b, std::vector<std::int32_t>(inputs.begin() + b * L,
                                                        inputs.begin() + (b + 1) * L));
  }
  Deviation logits, q;
  int cells_compared = 0, halts_compared = 0;
  std::vector<backend::NoiseRow> keys(boards);
  std::vector<engine::StepOutput> outputs;
  for (int step = 0; step < steps; ++step) {
    engine_model.supervision_step(boards, keys, 0);
    engine_model.read_heads(boards, outputs);
    for (int b = 0; b < boards; ++b) {
      const std::size_t at = static_cast<std::size_t>(b) * steps + step;
      engine::HeadValues head;
      engine_model.read_head_values(b, head);
      const float* official = &official_logits[at * L * V];
      for (int i = 0; i < L * V; ++i) logits.add(head.logits[i], official[i]);
      for (int cell = 0; cell < L; ++cell) {
        const auto [official_best, lead] = top(official + cell * V, V);
        if (lead <= kMargin) continue;
        EXPECT_EQ(top(&head.logits[cell * V], V).first, official_best)
            << name << " board " << b << " step " << step << " cell " << cell;
        ++cells_compared;
      }
      const double q_halt = official_q[at * 2], q_continue = official_q[at * 2 + 1];
      q.add(head.q_halt, q_halt);
      q.add(head.q_continue, q_continue);
      const double margin =
          m.config.halt_rule == model::HaltRule::kSigmoid ? q_halt : q_halt - q_continue;
      if (std::abs(margin) > kMargin) {
        EXPECT_EQ(outputs[b].wants_halt, official_halt[at] != 0.0f)
            << name << " board " << b << " step " << step;
        ++halts_compared;
      }
    }
  }
  EXPECT_LE(logits.worst_excess, 0.0) << name << ": logits worst |difference| "
                                      << logits.worst_absolute;
  EXPECT_LE(q.worst_excess, 0.0) << name << ": q worst |difference| " << q.worst_absolute;
  EXPECT_GT(cells_compared, boards * steps * L / 2) << name;
  EXPECT_GT(halts_compared, 0) << name;
  std::printf("%s (%s %s): worst |difference| logits %.3g, q %.3g over %d steps; %d cells and "
              "%d halting decisions compared\n",
              name.c_str(), golden.metadata.at("repository").c_str(),
              golden.metadata.at("commit").substr(0, 12).c_str(), logits.worst_absolute,
              q.worst_absolute, steps, cells_compared, halts_compared);
}

INSTANTIATE_TEST_SUITE_P(
    OfficialCode, OfficialParity,
    ::testing::Values("trm_mlp_t_sigmoid", "trm_attention_rope_compare",
                      "trm_attention_learned_no_prefix", "hrm_attention_rope"),
    [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace gram
