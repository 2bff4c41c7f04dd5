#include "throughput/throughput_bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "analysis/metrics.h"
#include "engine/recursive_model.h"
#include "engine/runner.h"
#include "util/error.h"

namespace gram::throughput {
namespace {

using Answers = std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<std::uint64_t, int>>;

// Runs the case once and returns each trajectory's answer hash and steps.
Answers run_once(engine::RecursiveModel& recursive, const tasks::Task& task,
                 const std::vector<tasks::Puzzle>& puzzles,
                 const std::vector<engine::WorkItem>& items, const engine::RunSettings& settings) {
  Answers answers;
  engine::Runner runner(recursive, task, settings);
  runner.run(puzzles, items, [&](engine::TrajectoryResult&& result) {
    answers[{result.puzzle, result.trajectory}] = {result.answer_hash, result.steps};
  });
  return answers;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // Linux reports KiB
}

}  // namespace

Spread spread_of(std::vector<double> values) {
  GRAM_ASSERT(!values.empty(), "no timed repetitions");
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  return {analysis::percentile(values, 50), *low, *high};
}

std::vector<BenchRow> run_throughput_bench(const model::Model& model, const tasks::Task& task,
                                           const std::vector<tasks::Puzzle>& puzzles,
                                           backend::Backend& backend, backend::Backend& reference,
                                           const std::vector<BenchCase>& cases,
                                           const BenchSettings& settings) {
  const model::FlopCounts flops = model::count_flops(model.config);
  const std::int64_t applications_per_step = flops.applications_per_step;
  std::vector<BenchRow> rows;
  for (const BenchCase& shape : cases) {
    const auto items =
        engine::make_work(0, static_cast<std::uint32_t>(puzzles.size()), shape.width);
    const int all_rows = static_cast<int>(items.size());
    engine::RunSettings run_settings;
    run_settings.depth = shape.depth;
    run_settings.halting = false;
    run_settings.seed = settings.seed;

    // Verify before timing: the reference batches differently (a few rows at a time), so a
    // backend whose rows leak into each other fails here as surely as a wrong kernel. A GPU's
    // widest cases would keep the CPU busy for hours: `verify` checks the first trajectories
    // only (their rows still share the GPU's batch with all the others).
    const std::size_t checked =
        settings.verify > 0 ? std::min<std::size_t>(settings.verify, items.size()) : items.size();
    const std::vector<engine::WorkItem> checked_items(items.begin(), items.begin() + checked);
    engine::RecursiveModel checker(model, reference, std::min(static_cast<int>(checked), 7));
    const Answers expected = run_once(checker, task, puzzles, checked_items, run_settings);
    engine::RecursiveModel timed(model, backend, all_rows);
    BenchRow row;
    row.shape = shape;
    row.verified = static_cast<int>(checked);
    row.puzzles = static_cast<int>(puzzles.size());
    row.trajectories = all_rows;
    row.applications = applications_per_step * shape.depth * all_rows;
    row.flops = flops.per_step * shape.depth * static_cast<double>(all_rows);
    const Answers got = run_once(timed, task, puzzles, items, run_settings);
    for (const auto& [key, value] : expected) {
      const auto found = got.find(key);
      row.wrong += found == got.end() || found->second != value ? 1 : 0;
    }

    for (int i = 0; i < settings.warmup; ++i) run_once(timed, task, puzzles, items, run_settings);
    std::vector<double> seconds;
    for (int i = 0; i < settings.repetitions; ++i) {
      const auto start = std::chrono::steady_clock::now();
      run_once(timed, task, puzzles, items, run_settings);
      backend.synchronize();
      seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    auto rates = [&](double amount) {
      std::vector<double> values;
      for (double s : seconds) values.push_back(amount / s);
      return spread_of(values);
    };
    row.seconds = spread_of(seconds);
    row.trajectories_per_s = rates(static_cast<double>(row.trajectories));
    row.applications_per_s = rates(static_cast<double>(row.applications));
    row.gflops_per_s = rates(row.flops / 1e9);
    if (settings.peak_flops_per_s > 0.0) {
      row.fraction_of_peak = row.gflops_per_s.median * 1e9 / settings.peak_flops_per_s;
    }
    row.peak_rss_mib = peak_rss_mib();
    rows.push_back(row);
  }
  return rows;
}

nlohmann::json to_json(const BenchRow& row) {
  auto spread = [](const Spread& s) {
    return nlohmann::json{{"median", s.median}, {"min", s.min}, {"max", s.max}};
  };
  return {{"width", row.shape.width},
          {"depth", row.shape.depth},
          {"puzzles", row.puzzles},
          {"trajectories", row.trajectories},
          {"applications", row.applications},
          {"flops", row.flops},
          {"verified", row.verified},
          {"wrong", row.wrong},
          {"seconds", spread(row.seconds)},
          {"trajectories_per_s", spread(row.trajectories_per_s)},
          {"applications_per_s", spread(row.applications_per_s)},
          {"gflops_per_s", spread(row.gflops_per_s)},
          {"fraction_of_peak", row.fraction_of_peak},
          {"peak_rss_mib", row.peak_rss_mib}};
}

std::string format_table(const std::vector<BenchRow>& rows, bool with_peak) {
  std::string text =
      "| width | depth | rows | #wrong | trajectories/s | applications/s | GFLOP/s (min-max) |" +
      std::string(with_peak ? " of peak |" : "") + " peak RSS MiB |\n|---|---|---|---|---|---|---|" +
      std::string(with_peak ? "---|" : "") + "---|\n";
  char line[512];
  for (const BenchRow& row : rows) {
    std::snprintf(line, sizeof line, "| %d | %d | %lld | %d | %.1f | %.1f | %.2f (%.2f-%.2f) |",
                  row.shape.width, row.shape.depth, static_cast<long long>(row.trajectories),
                  row.wrong, row.trajectories_per_s.median, row.applications_per_s.median,
                  row.gflops_per_s.median, row.gflops_per_s.min, row.gflops_per_s.max);
    text += line;
    if (with_peak) {
      std::snprintf(line, sizeof line, " %.1f%% |", 100.0 * row.fraction_of_peak);
      text += line;
    }
    std::snprintf(line, sizeof line, " %.0f |\n", row.peak_rss_mib);
    text += line;
  }
  return text;
}

}  // namespace gram::throughput
