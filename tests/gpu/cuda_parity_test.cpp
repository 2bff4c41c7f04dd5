// The CUDA backend against the CPU backend: every operation on its own, then the whole forward
// pass on every architecture variant (mlp_t / attention, shared / separate networks, noise on /
// off), then the runner with halting and row refill. In fp32 the decoded answers and halting
// decisions must be identical and the state errors small; tf32 and bf16 report how far they
// drift. Without a usable device (or in a build without CUDA) every test is reported SKIPPED
// with the reason; any other failure to start the backend is an error.
#include <gtest/gtest.h>

#include "common/tiny_model_config.h"
#include "gpu/require_cuda.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "backend/backend.h"
#include "engine/recursive_model.h"
#include "engine/runner.h"
#include "model/weights.h"
#include "tasks/task.h"
#include "util/error.h"

namespace gram {
namespace {

using testing::Variant;

std::vector<float> random_values(std::size_t count, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-scale, scale);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(generator);
  return values;
}

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  return worst;
}

// Host vectors in and out of one backend.
template <typename T>
backend::DeviceArray<T> upload(backend::Backend& backend, const std::vector<T>& values) {
  backend::DeviceArray<T> array(backend, values.size());
  backend.copy_to_device(array.data(), values.data(), values.size() * sizeof(T));
  return array;
}
template <typename T>
std::vector<T> download(backend::Backend& backend, const backend::DeviceArray<T>& array) {
  std::vector<T> values(array.size());
  backend.copy_to_host(values.data(), array.data(), values.size() * sizeof(T));
  return values;
}

// Runs `operation(backend, inputs..., output)` on both backends and returns the largest
// difference of the output.
template <typename Operation>
double compare_op(backend::Backend& cpu, backend::Backend& gpu,
                  const std::vector<std::vector<float>>& inputs, std::size_t output_size,
                  const std::vector<float>& output_start, Operation operation) {
  std::vector<std::vector<float>> results;
  for (backend::Backend* backend : {&cpu, &gpu}) {
    std::vector<backend::DeviceArray<float>> arrays;
    for (const auto& input : inputs) arrays.push_back(upload(*backend, input));
    backend::DeviceArray<float> output(*backend, output_size);
    if (!output_start.empty()) {
      backend->copy_to_device(output.data(), output_start.data(), output_size * sizeof(float));
    }
    operation(*backend, arrays, output.data());
    results.push_back(download(*backend, output));
  }
  return max_difference(results[0], results[1]);
}

TEST(CudaOps, EachOperationMatchesTheCpuBackend) {
  REQUIRE_CUDA(gpu, backend::CudaMath::kFp32);
  auto cpu = backend::make_cpu_backend(2);
  std::printf("device: %s\n", gpu->describe().c_str());
  using Arrays = std::vector<backend::DeviceArray<float>>;

  // linear with bias on strided rows (a head reading position 0 of each row in place).
  const int rows = 37, in = 48, out = 19, stride = 96;
  double error = compare_op(
      *cpu, *gpu, {random_values(rows * stride, 1), random_values(out * in, 2), random_values(out, 3)},
      rows * out, {}, [&](backend::Backend& b, Arrays& a, float* y) {
        const auto weight = b.prepare_linear(a[1].data(), out, in, backend::WeightUse::kLinear);
        b.linear(rows, a[0].data(), stride, *weight, a[2].data(), y);
      });
  std::printf("linear: max |cpu - cuda| = %.3g\n", error);
  EXPECT_LT(error, 1e-4);

  const std::size_t count = 1000;
  error = compare_op(*cpu, *gpu, {random_values(count, 4), random_values(count, 5), random_values(count, 6)},
                     count, {}, [&](backend::Backend& b, Arrays& a, float* y) {
                       b.add(count, a[0].data(), a[1].data(), a[2].data(), y);
                     });
  EXPECT_EQ(error, 0.0) << "add";

  const int norm_rows = 300, width = 97;
  error = compare_op(*cpu, *gpu, {random_values(norm_rows * width, 8)}, norm_rows * width,
                     random_values(norm_rows * width, 7), [&](backend::Backend& b, Arrays& a, float* x) {
                       b.add_rmsnorm(norm_rows, width, x, a[0].data(), 1e-5f);
                     });
  std::printf("add_rmsnorm: max |cpu - cuda| = %.3g\n", error);
  EXPECT_LT(error, 1e-5);

  const int hidden = 45;
  error = compare_op(*cpu, *gpu, {random_values(norm_rows * 2 * hidden, 9, 4.0f)}, norm_rows * hidden,
                     {}, [&](backend::Backend& b, Arrays& a, float* y) {
                       b.swiglu(norm_rows, hidden, a[0].data(), y);
                     });
  EXPECT_LT(error, 1e-5) << "swiglu";

  error = compare_op(*cpu, *gpu, {}, count, random_values(count, 10, 6.0f),
                     [&](backend::Backend& b, Arrays&, float* x) { b.silu(count, x); });
  EXPECT_LT(error, 1e-5) << "silu";

  const int batch = 3, t_rows = 97, t_cols = 70;
  error = compare_op(*cpu, *gpu, {random_values(batch * t_rows * t_cols, 11)}, batch * t_rows * t_cols,
                     {}, [&](backend::Backend& b, Arrays& a, float* y) {
                       b.transpose(batch, t_rows, t_cols, a[0].data(), y);
                     });
  EXPECT_EQ(error, 0.0) << "transpose";

  for (int seq : {17, 97, 300}) {
    for (int head_dim : {8, 64}) {
      const int heads = 2, half = head_dim / 2;
      std::vector<float> cos_table(seq * half), sin_table(seq * half);
      for (int p = 0; p < seq; ++p) {
        for (int i = 0; i < half; ++i) {
          const double angle = p * std::pow(10000.0, -2.0 * i / head_dim);
          cos_table[p * half + i] = static_cast<float>(std::cos(angle));
          sin_table[p * half + i] = static_cast<float>(std::sin(angle));
        }
      }
      error = compare_op(*cpu, *gpu,
                         {random_values(2 * seq * 3 * heads * head_dim, 12, 2.0f), cos_table, sin_table},
                         2 * seq * heads * head_dim, {}, [&](backend::Backend& b, Arrays& a, float* y) {
                           b.attention(2, seq, heads, head_dim, a[0].data(), a[1].data(),
                                       a[2].data(), y);
                         });
      std::printf("attention seq %d head_dim %d rope: max |cpu - cuda| = %.3g\n", seq, head_dim, error);
      EXPECT_LT(error, 1e-5);
    }
  }

  // noise: the same Philox bits; normals may differ by an ulp of logf / sincospif.
  const int noise_rows = 3, positions = 17, noise_hidden = 30;
  const std::size_t state = noise_rows * positions * noise_hidden;
  const std::vector<backend::NoiseRow> keys = {{5, 0, 3}, {5, 1, 3}, {6, 0, 0}};
  backend::NoiseParams params;
  params.seed = 42;
  params.transition = 2;
  params.sigma_min = 0.05f;
  params.sigma_max = 1.0f;
  std::vector<std::vector<float>> noised;
  for (backend::Backend* b : {cpu.get(), gpu.get()}) {
    auto u = upload(*b, random_values(state, 13));
    auto mu = upload(*b, random_values(state, 14, 0.1f));
    auto sigma_pre = upload(*b, random_values(state, 15, 3.0f));
    auto row_keys = upload(*b, keys);
    b->noise_step(noise_rows, positions, noise_hidden, u.data(), mu.data(), sigma_pre.data(),
                  row_keys.data(), params);
    noised.push_back(download(*b, u));
  }
  error = max_difference(noised[0], noised[1]);
  std::printf("noise_step: max |cpu - cuda| = %.3g\n", error);
  EXPECT_LT(error, 1e-5);

  // argmax, with ties resolved to the lowest index.
  const int vocab = 11, argmax_rows = 500;
  std::vector<float> logits = random_values(argmax_rows * vocab, 16);
  for (int row = 0; row < argmax_rows; row += 5) logits[row * vocab + 7] = logits[row * vocab + 3] = 9.0f;
  std::vector<std::vector<std::int32_t>> tokens;
  for (backend::Backend* b : {cpu.get(), gpu.get()}) {
    auto device_logits = upload(*b, logits);
    backend::DeviceArray<std::int32_t> device_tokens(*b, argmax_rows);
    b->argmax(argmax_rows, vocab, device_logits.data(), device_tokens.data());
    tokens.push_back(download(*b, device_tokens));
  }
  EXPECT_EQ(tokens[0], tokens[1]);
  EXPECT_EQ(tokens[1][0], 3);

  // copy_on_device with overlapping ranges behaves like memmove.
  std::vector<float> ramp(64);
  for (int i = 0; i < 64; ++i) ramp[i] = static_cast<float>(i);
  auto device_ramp = upload(*gpu, ramp);
  gpu->copy_on_device(device_ramp.data() + 8, device_ramp.data(), 40 * sizeof(float));
  std::copy_backward(ramp.begin(), ramp.begin() + 40, ramp.begin() + 48);
  EXPECT_EQ(download(*gpu, device_ramp), ramp);
}

struct ForwardResult {
  std::vector<std::vector<float>> h, l, logits;  // per row
  std::vector<engine::StepOutput> outputs;
};

// Three supervision steps of `rows` trajectories of one puzzle; logits recomputed on the host
// from each backend's h so that they can be compared.
ForwardResult run_forward(const model::Model& m, backend::Backend& backend, int rows) {
  engine::RecursiveModel recursive(m, backend, rows);
  const std::vector<std::int32_t> input = {1, 2, 1, 5, 1, 1, 3, 1, 4, 1, 1, 1, 1, 3, 1, 2};
  std::vector<backend::NoiseRow> keys;
  for (int row = 0; row < rows; ++row) {
    recursive.start_row(row, input);
    keys.push_back({5, static_cast<std::uint32_t>(row), 0});
  }
  ForwardResult result;
  for (std::uint32_t step = 0; step < 3; ++step) {
    for (auto& key : keys) key.step = step;
    recursive.supervision_step(rows, keys, 42);
    recursive.read_heads(rows, result.outputs);
  }
  const auto& c = m.config;
  const auto& lm = m.tensor("head.lm").values;  // (V, D)
  for (int row = 0; row < rows; ++row) {
    std::vector<float> h, l;
    recursive.read_state(row, h, l);
    std::vector<float> logits(static_cast<std::size_t>(c.seq_len) * c.vocab_size);
    for (int p = 0; p < c.seq_len; ++p) {
      for (int v = 0; v < c.vocab_size; ++v) {
        double sum = 0;
        for (int d = 0; d < c.hidden_size; ++d) {
          sum += static_cast<double>(h[(c.prefix_len + p) * c.hidden_size + d]) * lm[v * c.hidden_size + d];
        }
        logits[p * c.vocab_size + v] = static_cast<float>(sum);
      }
    }
    result.h.push_back(std::move(h));
    result.l.push_back(std::move(l));
    result.logits.push_back(std::move(logits));
  }
  return result;
}

struct Drift {
  double state = 0, logit = 0, value = 0;
  int answers_equal = 0, halts_equal = 0, rows = 0;
};

Drift compare_forward(const ForwardResult& cpu, const ForwardResult& gpu) {
  Drift drift;
  drift.rows = static_cast<int>(cpu.h.size());
  for (int row = 0; row < drift.rows; ++row) {
    drift.state = std::max({drift.state, max_difference(cpu.h[row], gpu.h[row]),
                            max_difference(cpu.l[row], gpu.l[row])});
    drift.logit = std::max(drift.logit, max_difference(cpu.logits[row], gpu.logits[row]));
    drift.value = std::max(drift.value, static_cast<double>(std::abs(cpu.outputs[row].value -
                                                                     gpu.outputs[row].value)));
    drift.answers_equal += cpu.outputs[row].answer == gpu.outputs[row].answer;
    drift.halts_equal += cpu.outputs[row].wants_halt == gpu.outputs[row].wants_halt;
  }
  return drift;
}

// Test names and ctest lines show the variant's name, not its bytes.

class CudaForward : public ::testing::TestWithParam<Variant> {};

TEST_P(CudaForward, Fp32MatchesCpuAndReducedPrecisionIsReported) {
  const Variant v = GetParam();
  REQUIRE_CUDA(gpu, backend::CudaMath::kFp32);
  auto cpu = backend::make_cpu_backend(2);
  for (int hidden : {16, 64}) {
    const model::Model m =
        model::random_model(testing::tiny_config(v.mixer, v.shared, v.noise, v.positions, hidden, hidden), 7);
    const int rows = 6;
    const ForwardResult reference = run_forward(m, *cpu, rows);
    const Drift fp32 = compare_forward(reference, run_forward(m, *gpu, rows));
    std::printf("%s D=%d fp32: max state err %.3g, max logit err %.3g, value err %.3g, answers %d/%d, "
                "halts %d/%d\n",
                v.name, hidden, fp32.state, fp32.logit, fp32.value, fp32.answers_equal, fp32.rows,
                fp32.halts_equal, fp32.rows);
    EXPECT_EQ(fp32.answers_equal, rows) << v.name << " D=" << hidden;
    EXPECT_EQ(fp32.halts_equal, rows) << v.name << " D=" << hidden;
    EXPECT_LT(fp32.state, 1e-3) << v.name << " D=" << hidden;
    EXPECT_LT(fp32.value, 1e-4) << v.name << " D=" << hidden;
    for (auto math : {backend::CudaMath::kTf32, backend::CudaMath::kBf16}) {
      backend::CudaOptions options;
      options.math = math;
      auto reduced = backend::make_cuda_backend(options);
      const Drift drift = compare_forward(reference, run_forward(m, *reduced, rows));
      std::printf("%s D=%d %s: max state err %.3g, max logit err %.3g, value err %.3g, answers "
                  "%d/%d, halts %d/%d\n",
                  v.name, hidden, backend::to_string(math).c_str(), drift.state, drift.logit,
                  drift.value, drift.answers_equal, drift.rows, drift.halts_equal, drift.rows);
      EXPECT_TRUE(std::isfinite(drift.state) && std::isfinite(drift.logit)) << v.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllVariants, CudaForward,
    ::testing::Values(
        Variant{"mlp_t_shared_noise", model::Mixer::kMlpT, true, true, model::PositionEncoding::kNone},
        Variant{"mlp_t_separate_deterministic", model::Mixer::kMlpT, false, false, model::PositionEncoding::kLearned},
        Variant{"attention_shared_noise_rope", model::Mixer::kAttention, true, true, model::PositionEncoding::kRope},
        Variant{"attention_separate_deterministic", model::Mixer::kAttention, false, false, model::PositionEncoding::kNone}),
    [](const auto& info) { return std::string(info.param.name); });

using Outcomes = std::map<std::pair<std::uint32_t, std::uint32_t>, std::tuple<std::uint64_t, int, float>>;

Outcomes run_with_halting(const model::Model& m, backend::Backend& backend, int row_cap) {
  const auto task = tasks::make_task(tasks::TaskSpec::parse("sudoku:4"));
  tasks::GenerateOptions options;
  options.count = 5;
  options.seed = 1;
  const auto puzzles = task->generate(options);
  const auto items = engine::make_work(0, 5, 6);
  engine::RecursiveModel recursive(m, backend, row_cap);
  engine::RunSettings settings;
  settings.depth = 4;
  settings.halting = true;
  settings.seed = 99;
  engine::Runner runner(recursive, *task, settings);
  Outcomes outcomes;
  runner.run(puzzles, items, [&](engine::TrajectoryResult&& r) {
    outcomes[{r.puzzle, r.trajectory}] = {r.answer_hash, r.steps, r.value};
  });
  return outcomes;
}

// The samplers' kernels (kernels/sampler.cu) against the CPU backend: the same per-position and
// per-group code (backend/sampler_math.h) on the same Philox words, so dropout masks agree bit
// for bit and the noise within an ulp of the device's logf / sincospif (the relative mode's RMS
// is summed in the same order on both). Then two steps of a deterministic model with both
// samplers, against the CPU.
TEST(CudaSamplers, NoiseAndDropoutMatchTheCpu) {
  REQUIRE_CUDA(gpu, backend::CudaMath::kFp32);
  auto cpu = backend::make_cpu_backend(2);
  const int rows = 3, positions = 17, hidden = 30;
  const std::size_t state = rows * positions * hidden;
  const std::vector<backend::NoiseRow> keys = {{5, 0, 3}, {5, 1, 3}, {6, 0, 0}};
  for (const bool relative : {false, true}) {
    backend::InjectedNoise noise;
    noise.draw = {42, 1, 9};
    noise.scale = 0.5f;
    noise.relative = relative;
    std::vector<std::vector<float>> results;
    for (backend::Backend* b : {cpu.get(), gpu.get()}) {
      auto x = upload(*b, random_values(state, 21, 2.0f));
      auto row_keys = upload(*b, keys);
      b->inject_noise(rows, positions, hidden, x.data(), row_keys.data(), noise);
      results.push_back(download(*b, x));
    }
    const double error = max_difference(results[0], results[1]);
    std::printf("inject_noise %s: max |cpu - cuda| = %.3g\n", relative ? "relative" : "absolute",
                error);
    EXPECT_LT(error, 1e-5);
  }
  backend::DropoutMask mask;
  mask.draw = {42, 1, 10};
  mask.drop_below = 1u << 30;
  mask.keep_scale = 1.0f / 0.75f;
  std::vector<std::vector<float>> dropped;
  for (backend::Backend* b : {cpu.get(), gpu.get()}) {
    auto x = upload(*b, random_values(state, 22));
    auto row_keys = upload(*b, keys);
    b->dropout(rows, static_cast<std::size_t>(positions) * hidden, x.data(), row_keys.data(), mask);
    dropped.push_back(download(*b, x));
  }
  EXPECT_EQ(dropped[0], dropped[1]);

  const model::Model m = model::random_model(
      testing::tiny_config(model::Mixer::kMlpT, true, false, model::PositionEncoding::kNone, 32, 32), 3);
  engine::SamplerSettings sampler;
  sampler.noise_scale = 0.3;
  sampler.noise_after_l = true;
  sampler.dropout_rate = 0.1;
  std::vector<std::vector<float>> states;
  for (backend::Backend* b : {cpu.get(), gpu.get()}) {
    engine::RecursiveModel recursive(m, *b, 2, sampler);
    const std::vector<std::int32_t> input = {1, 2, 1, 5, 1, 1, 3, 1, 4, 1, 1, 1, 1, 3, 1, 2};
    recursive.start_row(0, input);
    recursive.start_row(1, input);
    std::vector<backend::NoiseRow> row_keys = {{0, 0, 0}, {0, 1, 0}};
    for (std::uint32_t step = 0; step < 2; ++step) {
      for (auto& key : row_keys) key.step = step;
      recursive.supervision_step(2, row_keys, 5);
    }
    std::vector<float> h, l;
    recursive.read_state(1, h, l);
    states.push_back(h);
  }
  const double error = max_difference(states[0], states[1]);
  std::printf("two sampled steps: max |cpu - cuda| on h = %.3g\n", error);
  EXPECT_LT(error, 1e-3);
}

// Halting with row refill: finished rows are replaced and the active rows compacted with
// copy_on_device. Every trajectory must end with the same answer at the same step as on the CPU,
// whatever the row cap.
TEST(CudaRunner, HaltingAndRefillMatchCpu) {
  REQUIRE_CUDA(gpu, backend::CudaMath::kFp32);
  auto config = testing::tiny_config(model::Mixer::kMlpT, true, true, model::PositionEncoding::kNone, 16, 16);
  model::Model m = model::random_model(config, 3);
  m.tensors.at("head.q_bias").values = {0.0f, 0.0f};  // some trajectories halt early
  auto cpu = backend::make_cpu_backend(2);
  const Outcomes reference = run_with_halting(m, *cpu, 30);
  int halted_early = 0;
  for (const auto& [key, value] : reference) halted_early += std::get<1>(value) < 4;
  EXPECT_GT(halted_early, 0) << "the test needs some trajectories to halt early";
  Outcomes first_cap;
  for (int cap : {30, 7, 1}) {
    const Outcomes outcomes = run_with_halting(m, *gpu, cap);
    ASSERT_EQ(outcomes.size(), reference.size());
    int value_bits_equal = 0;
    for (const auto& [key, value] : reference) {
      const auto& other = outcomes.at(key);
      EXPECT_EQ(std::get<0>(other), std::get<0>(value)) << "row cap " << cap;
      EXPECT_EQ(std::get<1>(other), std::get<1>(value)) << "row cap " << cap;
      EXPECT_NEAR(std::get<2>(other), std::get<2>(value), 1e-4) << "row cap " << cap;
      if (!first_cap.empty()) value_bits_equal += std::get<2>(first_cap.at(key)) == std::get<2>(other);
    }
    // Reported, not required: cuBLAS may pick a different kernel for a different matrix height,
    // so the CUDA backend does not promise the CPU backend's bitwise batch independence.
    if (!first_cap.empty()) {
      std::printf("row cap %d vs 30 on cuda: value bits identical for %d/%zu trajectories\n", cap,
                  value_bits_equal, reference.size());
    } else {
      first_cap = outcomes;
    }
  }
}

}  // namespace
}  // namespace gram
