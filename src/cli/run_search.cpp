// The search path of `gram run` (cli/run_search.h).
#include "cli/run_search.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include "backend/backend.h"
#include "cli/result_file.h"
#include "cli/run_rows.h"
#include "cli/run_context_record.h"
#include "engine/puzzle_results.h"
#include "engine/run_execution.h"
#include "util/error.h"
#include "util/jsonl_writer.h"

namespace gram::cli {

int run_search(const CommandContext& command, const config::RunConfig& run,
               const model::Model& model, const tasks::Task& task,
               const std::vector<tasks::Puzzle>& puzzles,
               std::span<const engine::Aggregator> aggregators, const SamplingSetup& sampling) {
  if (!model.config.noise.enabled && !sampling.sampler.active()) {
    throw Error("search " + name_of(run.search) + " needs a stochastic model: " + run.model +
                " is deterministic, so every row would follow the same trajectory (give it a "
                "sampler: noise_scale or dropout_rate)");
  }
  engine::SearchSettings settings;
  settings.kind = run.search == SearchChoice::kSmc ? engine::SearchKind::kSmc
                                                   : engine::SearchKind::kBeam;
  settings.depth = run.depth;
  settings.seed = run.seed;
  settings.particles = run.particles;
  settings.resample_every = run.resample_every;
  settings.temperature = run.temperature;
  settings.ess_threshold = run.ess_threshold;
  settings.beams = run.beams;
  settings.expand = run.expand;
  const int rows = engine::rows_per_searched_puzzle(settings);
  engine::DistributedRun ranks(*command.communicator);
  auto backend = backend::make_backend(run.backend, run.threads, ranks.local_rank());
  const int row_cap = fit_row_cap(run, {puzzles.size(), rows, true, 0}, model.config, ranks,
                                  *backend);
  ranks.use_device_plane(*backend);
  const model::FlopCounts& flops = sampling.flops;
  ResultFile result_file = open_result_file(*command.communicator, run.output, run.overwrite);
  if (!result_file.opened) return 1;  // rank 0 reports it; the job ends with rank 0's status
  std::optional<JsonlWriter>& writer = result_file.writer;
  const nlohmann::json context = run_context_record(command.argc, command.argv, run, model,
                                                    *backend, task, ranks.world_size(), sampling);
  if (ranks.is_root()) writer->write(context);

  engine::RunTotals totals;
  std::int64_t uniform_applications = 0;
  std::int64_t state_copies = 0;
  const double wall = engine::execute_search(
      ranks, *backend, sampling.run_model(model), task, puzzles, settings, row_cap, {},
      [&](engine::SearchOutcome&& searched) {
        uniform_applications += searched.compute.uniform_applications;
        state_copies += searched.compute.state_copies;
        writer->write(engine::search_puzzle_record(task, puzzles[searched.outcome.puzzle],
                                                   searched, aggregators, flops, totals));
      });
  if (!ranks.is_root()) return 0;
  records::SummaryRecord summary = engine::summary_of(totals, wall, flops);
  summary.search = records::SearchSummary{name_of(run.search), rows, state_copies,
                                          engine::search_answers(settings), uniform_applications};
  writer->write(records::to_json(summary));
  writer->close();

  std::printf("%lld puzzles, search %s (%d rows per puzzle, %d answers), depth %d, %.2f s\n",
              static_cast<long long>(totals.puzzles), name_of(run.search).c_str(), rows,
              engine::search_answers(settings), run.depth, wall);
  std::printf("  applications %lld (uniform width %d: %lld), state copies %lld\n",
              static_cast<long long>(totals.applications), engine::search_answers(settings),
              static_cast<long long>(uniform_applications), static_cast<long long>(state_copies));
  for (const auto& [name, accuracy] : summary.accuracy) {
    std::printf("  %-14s accuracy %.4f\n", name.c_str(), accuracy);
  }
  std::printf("results: %s\n", run.output.c_str());
  return 0;
}

}  // namespace gram::cli
