// gram bench: whole-model throughput at a list of widths and depths, verified first
// (src/throughput/throughput_bench.h), as a Markdown table and optionally JSON with a context block.
#include <cstdio>
#include <filesystem>

#include "backend/backend.h"
#include "cli/commands.h"
#include "cli/model_task.h"
#include "config/bench_config.h"
#include "model/weights.h"
#include "records/context_record.h"
#include "backend/gemm_peak.h"
#include "tasks/task.h"
#include "throughput/throughput_bench.h"
#include "util/error.h"
#include "util/jsonl_writer.h"

namespace gram::cli {
namespace {

// The puzzles of every timed batch: generated from the seed, or the first of a file.
std::vector<tasks::Puzzle> bench_puzzles(const config::BenchConfig& bench, const tasks::Task& task) {
  if (bench.puzzles.empty()) {
    tasks::GenerateOptions options;
    options.count = bench.puzzle_count;
    options.seed = bench.seed + 1;
    return task.generate(options);
  }
  std::vector<tasks::Puzzle> puzzles = task.read_file(bench.puzzles);
  if (static_cast<int>(puzzles.size()) > bench.puzzle_count) puzzles.resize(bench.puzzle_count);
  return puzzles;
}

backend::GemmPeak bench_peak(const config::BenchConfig& bench, backend::Backend& backend) {
  if (bench.peak_gflops == "measured") return backend::measure_gemm_peak(backend, bench.threads);
  backend::GemmPeak peak;
  peak.flops_per_s = config::parse_double("peak_gflops", bench.peak_gflops, 1e-9) * 1e9;
  peak.source = "configured";
  return peak;
}

// The result file's one record: the context, the model, the peak and every row.
nlohmann::json bench_record(const CommandContext& command, const config::BenchConfig& bench,
                            const model::Model& model, const backend::Backend& backend,
                            const backend::GemmPeak& peak,
                            const std::vector<throughput::BenchRow>& rows) {
  records::ContextRecord record = records::context_record(command.argc, command.argv);
  record.type = "bench";
  record.config = config::to_json(bench);
  record.backend = backend.describe();
  record.model = nlohmann::json{{"path", bench.model},
                                {"parameters", model::count_parameters(model.config)},
                                {"flops_per_step", model::count_flops(model.config).per_step}};
  record.peak = records::PeakRecord{peak.flops_per_s, peak.engine_flops_per_s, peak.source};
  nlohmann::json& entries = record.rows.emplace(nlohmann::json::array());
  for (const auto& row : rows) entries.push_back(throughput::to_json(row));
  return records::to_json(record);
}

int bench_command(const CommandContext& command) {
  config::BenchConfig bench;
  if (!config::apply_command_line(bench, command.arguments, config::bench_config_fields(),
                                  "gram bench")) {
    std::printf("usage: gram bench [--config FILE] [--set key=value] [--<key> value]...\n%s",
                config::fields_help_text(config::bench_config_fields()).c_str());
    return 0;
  }
  config::validate(bench);
  // Refused before the benchmark runs, so an existing result costs nothing and is kept as it was.
  if (!bench.output.empty() && !bench.overwrite && std::filesystem::exists(bench.output)) {
    throw Error(bench.output + ": exists (pass --overwrite to replace it)");
  }
  const model::Model model = model::load_model(bench.model);
  const auto task = model_task(model, bench.model);
  const std::vector<tasks::Puzzle> puzzles = bench_puzzles(bench, *task);
  auto backend =
      backend::make_backend(bench.backend, bench.threads, command.communicator->local_rank());
  auto reference = backend::make_cpu_backend(bench.threads);
  const backend::GemmPeak peak = bench_peak(bench, *backend);
  std::vector<throughput::BenchCase> cases;
  for (int depth : config::parse_positive_list("depths", bench.depths)) {
    for (int width : config::parse_positive_list("widths", bench.widths)) {
      cases.push_back({width, depth});
    }
  }
  throughput::BenchSettings settings{bench.warmup, bench.repetitions, bench.seed,
                                     peak.flops_per_s, bench.verify};
  const auto rows =
      throughput::run_throughput_bench(model, *task, puzzles, *backend, *reference, cases, settings);
  std::printf("model %s: %lld parameters, %.4g FLOPs per step; backend %s\n", bench.model.c_str(),
              static_cast<long long>(model::count_parameters(model.config)),
              model::count_flops(model.config).per_step, backend->describe().c_str());
  std::printf("peak %.2f GFLOP/s (%s); %d puzzles per batch, %d warm-up + %d timed repetitions, "
              "medians\n\n%s",
              peak.flops_per_s / 1e9, peak.source.c_str(), static_cast<int>(puzzles.size()),
              bench.warmup, bench.repetitions, throughput::format_table(rows, true).c_str());
  if (!bench.output.empty()) {
    JsonlWriter writer(bench.output, true);
    writer.write(bench_record(command, bench, model, *backend, peak, rows));
    writer.close();
    std::printf("\nresults: %s\n", bench.output.c_str());
  }
  int wrong = 0;
  for (const auto& row : rows) wrong += row.wrong;
  if (wrong > 0) {
    throw Error(std::to_string(wrong) + " trajectories differ from the CPU reference run: the "
                                        "timings above are of wrong answers");
  }
  return 0;
}

}  // namespace

GRAM_REGISTER_COMMAND("bench", "verified throughput at a list of widths and depths", bench_command);

}  // namespace gram::cli
