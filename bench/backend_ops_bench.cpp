// Microbenchmarks of the CPU backend's hot operations, at the shapes of the shipped 6x6 Sudoku
// models (D = 64, L = 36 + 1 prefix) for 64 trajectories per batch. Each benchmark first checks
// its output against a plain loop and stops with an error if it differs: a fast wrong kernel
// must not produce a figure.
//
//   build/bench/bench_backend_ops --benchmark_repetitions=5 --benchmark_report_aggregates_only
//
// Times are wall-clock (UseRealTime): the backend runs on several threads.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"

namespace {

using gram::backend::Backend;
using gram::backend::DeviceArray;

constexpr int kTrajectories = 64;
constexpr int kPositions = 37;  // 36 cells + 1 prefix token
constexpr int kHidden = 64;
constexpr int kTokens = kTrajectories * kPositions;

Backend& cpu() {
  static auto backend = gram::backend::make_cpu_backend(0);
  return *backend;
}

std::vector<float> random_values(std::size_t count, std::uint32_t seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = normal(generator);
  return values;
}

DeviceArray<float> upload(const std::vector<float>& values) {
  DeviceArray<float> array(cpu(), values.size());
  cpu().copy_to_device(array.data(), values.data(), values.size() * sizeof(float));
  return array;
}

std::vector<float> download(DeviceArray<float>& array, std::size_t count) {
  std::vector<float> values(count);
  cpu().copy_to_host(values.data(), array.data(), count * sizeof(float));
  return values;
}

bool close(const std::vector<float>& got, const std::vector<double>& want, double tolerance,
           std::string& why) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::abs(got[i] - want[i]) > tolerance * (1.0 + std::abs(want[i]))) {
      why = "element " + std::to_string(i) + ": " + std::to_string(got[i]) + " vs " +
            std::to_string(want[i]);
      return false;
    }
  }
  return true;
}

// y (rows, out) = x (rows, in) w^T: the model's projections (args: rows, out, in).
void BM_Linear(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const int out = static_cast<int>(state.range(1));
  const int in = static_cast<int>(state.range(2));
  const auto x_host = random_values(static_cast<std::size_t>(rows) * in, 1);
  const auto w_host = random_values(static_cast<std::size_t>(out) * in, 2);
  auto x = upload(x_host);
  auto w = upload(w_host);
  DeviceArray<float> y(cpu(), static_cast<std::size_t>(rows) * out);
  const auto weight = cpu().prepare_linear(w.data(), out, in, gram::backend::WeightUse::kLinear);
  cpu().linear(rows, x.data(), in, *weight, nullptr, y.data());
  const auto got = download(y, static_cast<std::size_t>(rows) * out);
  std::vector<double> want(got.size());
  for (int r = 0; r < rows; r += 97) {  // a sample of rows keeps the check quick
    for (int o = 0; o < out; ++o) {
      double sum = 0.0;
      for (int i = 0; i < in; ++i) sum += double(x_host[std::size_t(r) * in + i]) * w_host[std::size_t(o) * in + i];
      want[std::size_t(r) * out + o] = sum;
    }
  }
  for (int r = 0; r < rows; ++r) {
    if (r % 97 != 0) {
      for (int o = 0; o < out; ++o) want[std::size_t(r) * out + o] = got[std::size_t(r) * out + o];
    }
  }
  std::string why;
  if (!close(got, want, 1e-4, why)) {
    state.SkipWithError(("linear is wrong: " + why).c_str());
    return;
  }
  for (auto _ : state) {
    cpu().linear(rows, x.data(), in, *weight, nullptr, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * rows * out * in * state.iterations(),
                                                benchmark::Counter::kIsRate);
}
// The same product through OpenBLAS SGEMM with the backend's threads: the peer the engine's
// fixed-order GEMM is measured against (BM_Linear / BM_OpenBlasSgemm at equal arguments).
void BM_OpenBlasSgemm(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const int out = static_cast<int>(state.range(1));
  const int in = static_cast<int>(state.range(2));
  const auto x = random_values(static_cast<std::size_t>(rows) * in, 1);
  const auto w = random_values(static_cast<std::size_t>(out) * in, 2);
  std::vector<float> y(static_cast<std::size_t>(rows) * out);
  openblas_set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x.data(), in,
              w.data(), in, 0.0f, y.data(), out);
  for (int r = 0; r < rows; r += 97) {  // a sample of elements keeps the check quick
    double sum = 0.0;
    for (int i = 0; i < in; ++i) sum += double(x[std::size_t(r) * in + i]) * w[i];
    if (std::abs(sum - y[std::size_t(r) * out]) > 1e-4 * (1.0 + std::abs(sum))) {
      state.SkipWithError("OpenBLAS SGEMM disagrees with a plain loop");
      return;
    }
  }
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x.data(), in,
                w.data(), in, 0.0f, y.data(), out);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * rows * out * in * state.iterations(),
                                                benchmark::Counter::kIsRate);
  state.SetLabel(openblas_get_corename());
}

// (rows, out, in): embedding-space FFN up and down, the mlp_t mixer over positions, the LM head,
// and a square 1024^3 product for the machine's SGEMM rate.
#define GRAM_LINEAR_SHAPES                                 \
  ->Args({kTokens, 4 * kHidden, kHidden})                  \
      ->Args({kTokens, kHidden, 2 * kHidden})              \
      ->Args({kTrajectories * kHidden, 2 * kHidden, kPositions}) \
      ->Args({kTokens, 8, kHidden})                        \
      ->Args({1024, 1024, 1024})                           \
      ->Unit(benchmark::kMicrosecond)                      \
      ->UseRealTime()
BENCHMARK(BM_Linear) GRAM_LINEAR_SHAPES;
BENCHMARK(BM_OpenBlasSgemm) GRAM_LINEAR_SHAPES;

void BM_AddRmsnorm(benchmark::State& state) {
  const auto x_host = random_values(std::size_t(kTokens) * kHidden, 3);
  const auto residual_host = random_values(x_host.size(), 4);
  auto x = upload(x_host);
  auto residual = upload(residual_host);
  cpu().add_rmsnorm(kTokens, kHidden, x.data(), residual.data(), 1e-5f);
  const auto got = download(x, x_host.size());
  std::vector<double> want(got.size());
  for (int r = 0; r < kTokens; ++r) {
    double square = 0.0;
    for (int i = 0; i < kHidden; ++i) {
      const double v = double(x_host[std::size_t(r) * kHidden + i]) + residual_host[std::size_t(r) * kHidden + i];
      square += v * v;
    }
    const double scale = 1.0 / std::sqrt(square / kHidden + 1e-5);
    for (int i = 0; i < kHidden; ++i) {
      want[std::size_t(r) * kHidden + i] =
          (double(x_host[std::size_t(r) * kHidden + i]) + residual_host[std::size_t(r) * kHidden + i]) * scale;
    }
  }
  std::string why;
  if (!close(got, want, 1e-5, why)) {
    state.SkipWithError(("add_rmsnorm is wrong: " + why).c_str());
    return;
  }
  for (auto _ : state) {
    cpu().add_rmsnorm(kTokens, kHidden, x.data(), residual.data(), 1e-5f);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetBytesProcessed(state.iterations() * 3 * x_host.size() * sizeof(float));
}
BENCHMARK(BM_AddRmsnorm)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_Swiglu(benchmark::State& state) {
  const int hidden = 2 * kHidden;
  const auto gate_up_host = random_values(std::size_t(kTokens) * 2 * hidden, 5);
  auto gate_up = upload(gate_up_host);
  DeviceArray<float> out(cpu(), std::size_t(kTokens) * hidden);
  cpu().swiglu(kTokens, hidden, gate_up.data(), out.data());
  const auto got = download(out, std::size_t(kTokens) * hidden);
  std::vector<double> want(got.size());
  for (int r = 0; r < kTokens; ++r) {
    for (int i = 0; i < hidden; ++i) {
      const double gate = gate_up_host[std::size_t(r) * 2 * hidden + i];
      const double up = gate_up_host[std::size_t(r) * 2 * hidden + hidden + i];
      want[std::size_t(r) * hidden + i] = gate / (1.0 + std::exp(-gate)) * up;
    }
  }
  std::string why;
  if (!close(got, want, 1e-6, why)) {
    state.SkipWithError(("swiglu is wrong: " + why).c_str());
    return;
  }
  for (auto _ : state) {
    cpu().swiglu(kTokens, hidden, gate_up.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kTokens * hidden);
}
BENCHMARK(BM_Swiglu)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The mlp_t mixer's (positions, hidden) <-> (hidden, positions) turn, per trajectory.
void BM_Transpose(benchmark::State& state) {
  const auto in_host = random_values(std::size_t(kTokens) * kHidden, 6);
  auto in = upload(in_host);
  DeviceArray<float> out(cpu(), in_host.size());
  cpu().transpose(kTrajectories, kPositions, kHidden, in.data(), out.data());
  const auto got = download(out, in_host.size());
  for (int t = 0; t < kTrajectories; ++t) {
    for (int p = 0; p < kPositions; ++p) {
      for (int h = 0; h < kHidden; ++h) {
        const std::size_t plane = std::size_t(t) * kPositions * kHidden;
        if (got[plane + std::size_t(h) * kPositions + p] != in_host[plane + std::size_t(p) * kHidden + h]) {
          state.SkipWithError("transpose is wrong");
          return;
        }
      }
    }
  }
  for (auto _ : state) {
    cpu().transpose(kTrajectories, kPositions, kHidden, in.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * 2 * in_host.size() * sizeof(float));
}
BENCHMARK(BM_Transpose)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Attention over the 9x9 Sudoku's 82 positions, 4 heads of 32, no RoPE (checked: rows sum to
// convex combinations of v, so each output lies within v's range per column).
void BM_Attention(benchmark::State& state) {
  const int batch = 16, seq = 82, heads = 4, head_dim = 32;
  const auto qkv_host = random_values(std::size_t(batch) * seq * 3 * heads * head_dim, 7);
  auto qkv = upload(qkv_host);
  DeviceArray<float> out(cpu(), std::size_t(batch) * seq * heads * head_dim);
  cpu().attention(batch, seq, heads, head_dim, qkv.data(), nullptr, nullptr, out.data());
  const auto got = download(out, std::size_t(batch) * seq * heads * head_dim);
  // Reference for the first (item, head, query): softmax(q k^T / sqrt(d)) v.
  {
    const int width = 3 * heads * head_dim;
    std::vector<double> scores(seq);
    double max_score = -1e300;
    for (int key = 0; key < seq; ++key) {
      double dot = 0.0;
      for (int d = 0; d < head_dim; ++d) dot += double(qkv_host[d]) * qkv_host[std::size_t(key) * width + heads * head_dim + d];
      scores[key] = dot / std::sqrt(double(head_dim));
      max_score = std::max(max_score, scores[key]);
    }
    double total = 0.0;
    for (double& score : scores) total += (score = std::exp(score - max_score));
    for (int d = 0; d < head_dim; ++d) {
      double value = 0.0;
      for (int key = 0; key < seq; ++key) value += scores[key] / total * qkv_host[std::size_t(key) * width + 2 * heads * head_dim + d];
      if (std::abs(value - got[d]) > 1e-4) {
        state.SkipWithError("attention is wrong");
        return;
      }
    }
  }
  for (auto _ : state) {
    cpu().attention(batch, seq, heads, head_dim, qkv.data(), nullptr, nullptr, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["FLOP/s"] = benchmark::Counter(4.0 * batch * heads * seq * seq * head_dim * state.iterations(),
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Attention)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The GRAM noise step: Philox normals, softplus sigma, h = u + mu + sigma * eps. Checked
// statistically with sigma_min = sigma_max = 1 and mu = u = 0: h is then eps itself.
void BM_NoiseStep(benchmark::State& state) {
  const std::size_t count = std::size_t(kTokens) * kHidden;
  std::vector<float> zeros(count, 0.0f);
  auto state_array = upload(zeros);
  auto mu = upload(zeros);
  auto sigma_pre = upload(zeros);
  std::vector<gram::backend::NoiseRow> keys(kTrajectories);
  for (int t = 0; t < kTrajectories; ++t) keys[t] = {0, static_cast<std::uint32_t>(t), 0};
  gram::backend::NoiseParams params{7, 0, 1.0f, 1.0f};
  cpu().noise_step(kTrajectories, kPositions, kHidden, state_array.data(), mu.data(), sigma_pre.data(), keys.data(), params);
  const auto eps = download(state_array, count);
  double mean = 0.0, square = 0.0;
  for (float value : eps) {
    mean += value;
    square += double(value) * value;
  }
  mean /= count;
  square /= count;
  if (std::abs(mean) > 0.02 || std::abs(square - 1.0) > 0.02) {
    state.SkipWithError("noise is not standard normal");
    return;
  }
  for (auto _ : state) {
    cpu().noise_step(kTrajectories, kPositions, kHidden, state_array.data(), mu.data(), sigma_pre.data(), keys.data(), params);
    benchmark::DoNotOptimize(state_array.data());
  }
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_NoiseStep)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Decoding: argmax over the vocabulary per cell, then the answer hash (FNV-1a over tokens).
void BM_DecodeAndHash(benchmark::State& state) {
  const int vocab = 8;
  auto logits_host = random_values(std::size_t(kTokens) * vocab, 8);
  auto logits = upload(logits_host);
  DeviceArray<std::int32_t> tokens(cpu(), kTokens);
  cpu().argmax(kTokens, vocab, logits.data(), tokens.data());
  std::vector<std::int32_t> got(kTokens);
  cpu().copy_to_host(got.data(), tokens.data(), kTokens * sizeof(std::int32_t));
  for (int r = 0; r < kTokens; ++r) {
    int best = 0;
    for (int v = 1; v < vocab; ++v) {
      if (logits_host[std::size_t(r) * vocab + v] > logits_host[std::size_t(r) * vocab + best]) best = v;
    }
    if (got[r] != best) {
      state.SkipWithError("argmax is wrong");
      return;
    }
  }
  std::uint64_t hashes = 0;
  for (auto _ : state) {
    cpu().argmax(kTokens, vocab, logits.data(), tokens.data());
    cpu().copy_to_host(got.data(), tokens.data(), kTokens * sizeof(std::int32_t));
    for (int t = 0; t < kTrajectories; ++t) {
      std::uint64_t hash = 1469598103934665603ull;
      for (int p = 0; p < kPositions; ++p) hash = (hash ^ std::uint32_t(got[t * kPositions + p])) * 1099511628211ull;
      hashes += hash;
    }
    benchmark::DoNotOptimize(hashes);
  }
  state.SetItemsProcessed(state.iterations() * kTrajectories);
}
BENCHMARK(BM_DecodeAndHash)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
