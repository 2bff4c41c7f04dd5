// The engine's forward pass against the plain reference in reference_model.h, on every
// architecture variant, and the determinism rule: a trajectory does not depend on its batch.
#include <gtest/gtest.h>

#include "common/tiny_model_config.h"

#include <bit>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>

#include "backend/backend.h"
#include "backend/fixed_order_gemm.h"
#include "engine/recursive_model.h"
#include "engine/runner.h"
#include "reference_model.h"
#include "tasks/task.h"

namespace gram {
namespace {

using testing::Variant;

// hidden 16, noise network 12 wide.
model::ModelConfig tiny_config(model::Mixer mixer, bool shared, bool noise,
                               model::PositionEncoding positions) {
  return testing::tiny_config(mixer, shared, noise, positions, 16, 12);
}


class ForwardParity : public ::testing::TestWithParam<Variant> {};

TEST_P(ForwardParity, MatchesReferenceOverTwoSteps) {
  const Variant v = GetParam();
  const model::Model m = model::random_model(tiny_config(v.mixer, v.shared, v.noise, v.positions), 7);
  auto backend = backend::make_cpu_backend(1);
  engine::RecursiveModel engine_model(m, *backend, 3);
  testing::ReferenceModel reference(m);

  const std::vector<std::int32_t> input = {1, 2, 1, 5, 1, 1, 3, 1, 4, 1, 1, 1, 1, 3, 1, 2};
  // Three rows of different trajectories of puzzle 5.
  std::vector<backend::NoiseRow> keys = {{5, 0, 0}, {5, 1, 0}, {5, 2, 0}};
  std::vector<testing::ReferenceModel::State> states;
  for (int slot = 0; slot < 3; ++slot) {
    engine_model.start_row(slot, input);
    states.push_back(reference.start(input));
  }
  for (std::uint32_t step = 0; step < 2; ++step) {
    for (auto& key : keys) key.step = step;
    engine_model.supervision_step(3, keys, 42);
    for (int slot = 0; slot < 3; ++slot) reference.supervision_step(states[slot], 42, 5, slot, step);
  }
  std::vector<engine::StepOutput> outputs;
  engine_model.read_heads(3, outputs);
  for (int slot = 0; slot < 3; ++slot) {
    std::vector<float> h, l;
    engine_model.read_state(slot, h, l);
    double worst = 0;
    for (std::size_t i = 0; i < h.size(); ++i) {
      worst = std::max(worst, std::abs(static_cast<double>(h[i]) - states[slot].h[i]));
      worst = std::max(worst, std::abs(static_cast<double>(l[i]) - states[slot].l[i]));
    }
    EXPECT_LT(worst, 2e-3) << v.name << " slot " << slot;
    const auto heads = reference.heads(states[slot]);
    EXPECT_EQ(outputs[slot].wants_halt, heads.q_halt > 0) << v.name;
    EXPECT_NEAR(outputs[slot].value, 1.0 / (1.0 + std::exp(-heads.value_logit)), 1e-3);
  }
  if (v.noise) {
    // Different trajectories of one puzzle draw different noise.
    std::vector<float> h0, h1, l;
    engine_model.read_state(0, h0, l);
    engine_model.read_state(1, h1, l);
    EXPECT_NE(h0, h1);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllVariants, ForwardParity,
    ::testing::Values(
        Variant{"mlp_t_shared_noise", model::Mixer::kMlpT, true, true, model::PositionEncoding::kNone},
        Variant{"mlp_t_separate_deterministic", model::Mixer::kMlpT, false, false, model::PositionEncoding::kLearned},
        Variant{"attention_shared_noise_rope", model::Mixer::kAttention, true, true, model::PositionEncoding::kRope},
        Variant{"attention_separate_deterministic", model::Mixer::kAttention, false, false, model::PositionEncoding::kNone}),
    [](const auto& info) { return std::string(info.param.name); });

// Runs `items` with a given row cap and returns (hash, steps, value) per (puzzle, trajectory).
std::map<std::pair<std::uint32_t, std::uint32_t>, std::tuple<std::uint64_t, int, float>> run_with_cap(
    const model::Model& m, const tasks::Task& task, const std::vector<tasks::Puzzle>& puzzles,
    std::vector<engine::WorkItem> items, int row_cap, int threads = 2,
    backend::GemmKernel kernel = backend::best_gemm_kernel()) {
  auto backend = backend::make_cpu_backend(threads, kernel);
  engine::RecursiveModel recursive(m, *backend, row_cap);
  engine::RunSettings settings;
  settings.depth = 3;
  settings.halting = true;
  settings.seed = 99;
  engine::Runner runner(recursive, task, settings);
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::tuple<std::uint64_t, int, float>> results;
  runner.run(puzzles, items, [&](engine::TrajectoryResult&& r) {
    results[{r.puzzle, r.trajectory}] = {r.answer_hash, r.steps, r.value};
  });
  return results;
}

TEST(Determinism, TrajectoriesDoNotDependOnBatchSizeOrOrder) {
  auto config = tiny_config(model::Mixer::kMlpT, true, true, model::PositionEncoding::kNone);
  // A halt bias near zero makes some trajectories halt early, exercising row refill.
  model::Model m = model::random_model(config, 3);
  m.tensors.at("head.q_bias").values = {0.0f, 0.0f};
  const auto task = tasks::make_task(tasks::TaskSpec::parse("sudoku:4"));
  tasks::GenerateOptions options;
  options.count = 5;
  options.seed = 1;
  const auto puzzles = task->generate(options);
  auto items = engine::make_work(0, 5, 6);
  const auto reference = run_with_cap(m, *task, puzzles, items, 30);
  ASSERT_EQ(reference.size(), 30u);
  // Answers, halting steps and value scores must be bitwise identical: a row's result may not
  // depend on which other rows share its batch (the CPU backend's fixed-order GEMM).
  auto expect_same = [&](const auto& results, const std::string& what) {
    ASSERT_EQ(results.size(), reference.size()) << what;
    for (const auto& [key, value] : reference) {
      const auto& other = results.at(key);
      EXPECT_EQ(std::get<0>(other), std::get<0>(value)) << what;
      EXPECT_EQ(std::get<1>(other), std::get<1>(value)) << what;
      EXPECT_EQ(std::bit_cast<std::uint32_t>(std::get<2>(other)),
                std::bit_cast<std::uint32_t>(std::get<2>(value)))
          << what << ": value " << std::get<2>(other) << " vs " << std::get<2>(value);
    }
  };
  for (int cap : {1, 4, 7}) expect_same(run_with_cap(m, *task, puzzles, items, cap), "row cap " + std::to_string(cap));
  std::reverse(items.begin(), items.end());
  expect_same(run_with_cap(m, *task, puzzles, items, 5), "reversed order");
  int halted_early = 0;
  for (const auto& [key, value] : reference) halted_early += std::get<1>(value) < 3;
  EXPECT_GT(halted_early, 0) << "the test needs some trajectories to halt early";
}

// The fixed-order GEMM's kernels (AVX-512, AVX2, portable) and the thread count change how the
// work is cut, never an element's order of additions: every trajectory's answer, halting step
// and value score is the same bits under each, here at row caps that cut the batch differently.
TEST(Determinism, TrajectoriesDoNotDependOnTheGemmKernelOrThreads) {
  auto config = tiny_config(model::Mixer::kAttention, false, true, model::PositionEncoding::kRope);
  model::Model m = model::random_model(config, 5);
  m.tensors.at("head.q_bias").values = {0.0f, 0.0f};
  const auto task = tasks::make_task(tasks::TaskSpec::parse("sudoku:4"));
  tasks::GenerateOptions options;
  options.count = 4;
  options.seed = 2;
  const auto puzzles = task->generate(options);
  const auto items = engine::make_work(0, 4, 5);
  const auto reference = run_with_cap(m, *task, puzzles, items, 20, 1, backend::GemmKernel::kPortable);
  int kernels_run = 0;
  for (auto kernel : {backend::GemmKernel::kPortable, backend::GemmKernel::kAvx2,
                      backend::GemmKernel::kAvx512}) {
    if (!backend::cpu_supports(kernel)) {
      std::printf("GEMM kernel %s: not run, this CPU lacks its instructions\n",
                  backend::to_string(kernel).c_str());
      continue;
    }
    ++kernels_run;
    for (int threads : {1, 2}) {
      for (int cap : {3, 20}) {
        const auto results = run_with_cap(m, *task, puzzles, items, cap, threads, kernel);
        ASSERT_EQ(results.size(), reference.size());
        for (const auto& [key, value] : reference) {
          const auto& other = results.at(key);
          const std::string what = backend::to_string(kernel) + ", " + std::to_string(threads) +
                                   " threads, row cap " + std::to_string(cap);
          EXPECT_EQ(std::get<0>(other), std::get<0>(value)) << what;
          EXPECT_EQ(std::get<1>(other), std::get<1>(value)) << what;
          EXPECT_EQ(std::bit_cast<std::uint32_t>(std::get<2>(other)),
                    std::bit_cast<std::uint32_t>(std::get<2>(value)))
              << what;
        }
      }
    }
  }
  EXPECT_GE(kernels_run, 1);
}

}  // namespace
}  // namespace gram
