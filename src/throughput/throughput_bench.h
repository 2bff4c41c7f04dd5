#pragma once
// Whole-model throughput, measured the way a reviewer would trust (style.md 10): for each
// (width, depth) case, first verify the timed backend's answers against a CPU reference run
// with a different batching, then warm up, then time several repetitions and report the median
// and the spread. Work is fixed (no halting): puzzles x width trajectories of depth steps, all
// in one batch, so trajectories/s, applications/s and FLOP/s follow from the model's shapes.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "model/weights.h"
#include "tasks/task.h"

namespace gram::throughput {

struct BenchCase {
  int width = 1;
  int depth = 1;
};

struct BenchSettings {
  int warmup = 1;
  int repetitions = 5;
  std::uint64_t seed = 0;
  double peak_flops_per_s = 0.0;  // 0: no fraction of peak
  int verify = 0;                 // trajectories per case checked against the reference (0: all)
};

struct Spread {
  double median = 0.0;
  double min = 0.0;
  double max = 0.0;
};

struct BenchRow {
  BenchCase shape;
  int puzzles = 0;
  std::int64_t trajectories = 0;   // per repetition
  std::int64_t applications = 0;   // per repetition
  double flops = 0.0;              // per repetition
  int verified = 0;                // trajectories checked against the reference
  int wrong = 0;                   // of those, whose answer or steps differ from the reference
  Spread seconds;
  Spread trajectories_per_s;
  Spread applications_per_s;
  Spread gflops_per_s;
  double fraction_of_peak = 0.0;   // median GFLOP/s / peak
  double peak_rss_mib = 0.0;       // process high-water mark after the case
};

// Times every case on `backend`; the reference runs on `reference` (a CPU backend).
std::vector<BenchRow> run_throughput_bench(const model::Model& model, const tasks::Task& task,
                                           const std::vector<tasks::Puzzle>& puzzles,
                                           backend::Backend& backend, backend::Backend& reference,
                                           const std::vector<BenchCase>& cases,
                                           const BenchSettings& settings);

nlohmann::json to_json(const BenchRow& row);
// A Markdown table, one row per case.
std::string format_table(const std::vector<BenchRow>& rows, bool with_peak);

Spread spread_of(std::vector<double> values);

}  // namespace gram::throughput
