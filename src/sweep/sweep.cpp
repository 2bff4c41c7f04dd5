// `gram sweep` as a pipeline of steps, each in the file that owns it:
//
//   read_inputs, plan_work          sweep_inputs.cpp  models, puzzles, the plan of runs and cells
//   output_location, open_output    sweep_output.cpp  new, resumed or started over; shards merged
//   pending_work, share_pending     sweep_output.cpp  what is left, the same list on every rank
//   fit_rows                        here              every row cap fitted to memory up front
//   execute_run, write_run_records  here              each run, then its cell, entropy and
//                                                     policy records, synced before the next
//   run_searches                    here              the searches, after every width run
//
// run_sweep_until_done_or_stopped strings them together; run_sweep adds the stop handling.
#include "sweep/sweep.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include "analysis/metrics.h"
#include "backend/backend.h"
#include "engine/aggregate.h"
#include "engine/distributed_run.h"
#include "engine/memory_plan.h"
#include "engine/rank_rows.h"
#include "engine/puzzle_results.h"
#include "engine/recursive_model.h"
#include "engine/runner.h"
#include "engine/sampler.h"
#include "model/verifier.h"
#include "model/weights.h"
#include "records/cell_record.h"
#include "records/policy_record.h"
#include "records/run_record.h"
#include "sweep/cell_metrics.h"
#include "sweep/policy_cells.h"
#include "sweep/progress.h"
#include "sweep/search_cells.h"
#include "sweep/sweep_plan.h"
#include "sweep/sweep_inputs.h"
#include "sweep/sweep_output.h"
#include "sweep/sweep_records.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/jsonl_writer.h"
#include "util/stop_signal.h"

namespace gram::sweep {
namespace {

nlohmann::json latency_quantiles(std::vector<double> seconds) {
  return {{"p50", analysis::percentile(seconds, 50)},
          {"p90", analysis::percentile(seconds, 90)},
          {"p99", analysis::percentile(seconds, 99)}};
}

// Timing of a run, for its own (non-derived) cell: throughput over the run's wall time and the
// per-puzzle latencies measured from the puzzle's first trajectory start.
nlohmann::json run_timing(std::span<const engine::PuzzleOutcome> outcomes, double wall,
                          const nlohmann::json& figures) {
  std::vector<double> first_answer;
  std::vector<double> decision;
  std::size_t trajectories = 0;
  for (const engine::PuzzleOutcome& outcome : outcomes) {
    double started = outcome.trajectories.front().started_seconds;
    double first = outcome.trajectories.front().finished_seconds;
    double last = first;
    for (const auto& trajectory : outcome.trajectories) {
      started = std::min(started, trajectory.started_seconds);
      first = std::min(first, trajectory.finished_seconds);
      last = std::max(last, trajectory.finished_seconds);
    }
    first_answer.push_back(first - started);
    decision.push_back(last - started);
    trajectories += outcome.trajectories.size();
  }
  return {{"wall_s", wall},
          {"puzzles_per_s", outcomes.size() / wall},
          {"trajectories_per_s", trajectories / wall},
          {"applications_per_s", figures["applications"].get<double>() / wall},
          {"flops_per_s", figures["flops"].get<double>() / wall},
          {"time_to_first_answer_s", latency_quantiles(first_answer)},
          {"time_to_decision_s", latency_quantiles(decision)}};
}

// One raw record per puzzle: every trajectory's per-step answers, so cells can be re-derived.
nlohmann::json raw_puzzle_record(const tasks::Puzzle& puzzle, const engine::PuzzleOutcome& outcome,
                                 std::uint64_t target_hash) {
  nlohmann::json trajectories = nlohmann::json::array();
  for (const auto& trajectory : outcome.trajectories) {
    nlohmann::json answers = nlohmann::json::array();
    nlohmann::json values = nlohmann::json::array();
    std::string valid;
    std::string correct;
    for (const engine::StepAnswer& step : trajectory.history) {
      answers.push_back(hash_to_hex(step.answer_hash));
      values.push_back(step.value);
      valid += step.valid ? '1' : '0';
      const bool right = target_hash != 0 ? step.answer_hash == target_hash : step.valid;
      correct += right ? '1' : '0';
    }
    trajectories.push_back({{"trajectory", trajectory.trajectory},
                            {"steps", trajectory.steps},
                            {"halted", trajectory.halted},
                            {"answers", answers},
                            {"valid", valid},
                            {"correct", correct},
                            {"values", values}});
  }
  return {{"type", "puzzle"}, {"index", outcome.puzzle}, {"id", puzzle.id},
          {"trajectories", trajectories}};
}


// What a sweep stopped by a signal has on file, kept up to date as it goes (rank 0).
struct StopReport {
  std::string cells_path;
  int cells = 0;
  int cells_on_file = 0;      // this share's cells in cells.jsonl, all synced
  std::string run_under_way;  // dropped on a stop (its cells need all of it); runs again
};

// One search's outcomes, gathered on rank 0 (empty elsewhere), and its wall time.
struct SearchOutcomes {
  std::vector<engine::SearchOutcome> searched;
  double wall = 0.0;
};

// Runs one search on every rank, each a block of whole puzzles; rank 0 writes its raw records to
// runs/NAME.jsonl.
SearchOutcomes execute_one_search(const SweepInputs& inputs, const SearchRun& search, int row_cap,
                                  std::uint64_t seed, const SweepOutput& output,
                                  engine::DistributedRun& ranks, backend::Backend& backend,
                                  Progress& progress) {
  const LoadedModel& loaded = inputs.models[search.model];
  const int rows = engine::rows_per_searched_puzzle(search.settings);
  engine::rank_log("search " + search.name + ": start");
  std::optional<JsonlWriter> raw;
  if (output.cells) {
    raw.emplace((output.directory / "runs" / (search.name + ".jsonl")).string(), true);
    raw->write(records::to_json(records::SearchRunHeader{
        search.name, loaded.source.name, engine::search_kind_name(search.settings.kind),
        search_settings_json(search.settings), rows, search.settings.depth, seed}));
  }
  engine::RunTotals totals;
  SearchOutcomes result;
  result.wall = engine::execute_search(
      ranks, backend, loaded.run_model(), *inputs.task, inputs.puzzles, search.settings, row_cap,
      [&](const engine::SearchOutcome&) {
        progress.advance(static_cast<double>(rows) * search.settings.depth);
        throw_if_stop_requested();
      },
      [&](engine::SearchOutcome&& outcome) {
        // Without its timing, like every raw file: the same seed writes the same bytes,
        // however often the sweep was stopped and resumed and on however many ranks.
        nlohmann::json puzzle_record = engine::search_puzzle_record(
            *inputs.task, inputs.puzzles[outcome.outcome.puzzle], outcome, inputs.aggregators,
            loaded.flops, totals);
        puzzle_record.erase("time_to_first_answer_s");
        puzzle_record.erase("time_to_decision_s");
        raw->write(puzzle_record);
        result.searched.push_back(std::move(outcome));
      });
  if (raw) raw->close();
  return result;
}

// Rank 0: a search's record, compared with its model's uniform cells at the same depth.
nlohmann::json search_record(const SweepInputs& inputs, const SearchRun& search,
                             const SearchOutcomes& ran, std::span<const nlohmann::json> uniform_cells) {
  const LoadedModel& loaded = inputs.models[search.model];
  std::vector<nlohmann::json> matching;
  for (const nlohmann::json& cell : uniform_cells) {
    if (cell.value("model", "") == loaded.source.name && !cell.value("halting", true) &&
        cell.value("depth", 0) == search.settings.depth) {
      matching.push_back(cell);
    }
  }
  records::PolicyRecord record;
  record.search = true;
  record.model = loaded.source.name;
  record.halting = false;
  record.name = engine::search_kind_name(search.settings.kind);
  record.settings = search_settings_json(search.settings);
  record.width = engine::rows_per_searched_puzzle(search.settings);
  record.depth = search.settings.depth;
  record.source_run = search.name;
  const CellCosts costs{loaded.flops.applications_per_step, loaded.flops.per_step};
  record.figures =
      search_figures(ran.searched, inputs.truth, inputs.aggregators, search, costs, matching);
  record.timing =
      nlohmann::json{{"wall_s", ran.wall}, {"puzzles_per_s", inputs.puzzles.size() / ran.wall}};
  return records::to_json(record);
}

// Runs the pending searches after every width run; rank 0 compares each with the uniform cells
// on file, whichever process wrote them (search_cells.h), and writes its records.
void run_searches(const SweepInputs& inputs, const SweepWork& work, std::span<const int> pending,
                  const std::map<int, int>& row_caps, std::uint64_t seed, SweepOutput& output,
                  engine::DistributedRun& ranks, backend::Backend& backend, Progress& progress,
                  StopReport& stop_report) {
  std::vector<nlohmann::json> uniform_cells;
  if (output.cells) {
    output.cells->sync();
    for (SweepRecord& record : read_sweep_records(output.cells->path(), output.plan_hash)) {
      if (record.type == "cell") uniform_cells.push_back(std::move(record.json));
    }
  }
  int number = 0;
  for (int index : pending) {
    const SearchRun& search = work.searches[index];
    stop_report.run_under_way = search.name;
    if (output.cells) output.cells->check_in_place();
    progress.start_run("search " + std::to_string(++number) + "/" +
                       std::to_string(pending.size()) + " " + search.name);
    const SearchOutcomes ran = execute_one_search(inputs, search, row_caps.at(index), seed,
                                                  output, ranks, backend, progress);
    if (!output.cells) continue;
    output.cells->write(search_record(inputs, search, ran, uniform_cells));
    output.cells->sync();
    stop_report.run_under_way.clear();
    progress.finish_run(ran.wall);
  }
}

// Rank 0's own share of the pending work in trajectory-steps (the ranks advance at about the
// same rate), for the progress line.
double pending_work_steps(const SweepInputs& inputs, const SweepWork& work,
                          const PendingWork& pending, const engine::DistributedRun& ranks) {
  double total = 0.0;
  for (int run : pending.runs) {
    const auto share = static_cast<double>(
        (inputs.puzzles.size() * work.plan.runs[run].width + ranks.world_size() - 1) /
        ranks.world_size());
    total += share * work.plan.runs[run].depth;
  }
  const engine::PuzzleBlock searched_here =
      engine::search_share(inputs.puzzles.size(), ranks.rank(), ranks.world_size());
  for (int search : pending.searches) {
    const engine::SearchSettings& settings = work.searches[search].settings;
    total += static_cast<double>(searched_here.end - searched_here.begin) *
             engine::rows_per_searched_puzzle(settings) * settings.depth;
  }
  return total;
}

// Every pending run and search is fitted to memory before the first starts
// (engine/memory_plan.h): its row cap lowered where the rows would not fit, or one line with the
// figures now, not hours in.
struct RowCaps {
  std::map<int, int> runs;
  std::map<int, int> searches;
};

// One planned run's or search's rows on this rank (engine/rank_rows.h), named in its errors.
engine::RankRows fit_planned_rows(const std::string& name, const model::ModelConfig& model,
                                  const engine::WorkShape& shape, int requested_row_cap,
                                  std::uint64_t memory_limit, const engine::DistributedRun& ranks,
                                  const backend::MemoryCapacity& capacity) {
  try {
    return engine::plan_rank_rows(model, shape, requested_row_cap, memory_limit, capacity,
                                  ranks.rank(), ranks.world_size());
  } catch (const Error& error) {
    throw Error("run " + name + ": " + error.what());
  }
}

RowCaps fit_rows(const config::SweepConfig& config, const SweepInputs& inputs,
                 const SweepWork& work, const PendingWork& pending,
                 const engine::DistributedRun& ranks, const backend::MemoryCapacity& capacity) {
  RowCaps caps;
  for (int run : pending.runs) {
    const PlannedRun& planned = work.plan.runs[run];
    const engine::WorkShape shape{inputs.puzzles.size(), planned.width, false, planned.depth};
    const engine::RankRows rows =
        fit_planned_rows(planned.name, inputs.models[planned.model].model.config, shape,
                         config.row_cap, config.memory_limit, ranks, capacity);
    if (rows.lowered() && ranks.is_root()) {
      std::printf("run %s: row_cap %d lowered to %d to fit %s\n", planned.name.c_str(),
                  rows.wanted, rows.row_cap, engine::format_bytes(rows.memory.limit_bytes).c_str());
    }
    caps.runs[run] = rows.row_cap;
  }
  for (int search : pending.searches) {
    const SearchRun& planned = work.searches[search];
    const int puzzle_rows = engine::rows_per_searched_puzzle(planned.settings);
    // One puzzle's rows run together, so a search with more rows than row_cap raises it.
    const engine::WorkShape shape{inputs.puzzles.size(), puzzle_rows, true,
                                  planned.settings.depth};
    caps.searches[search] =
        fit_planned_rows(planned.name, inputs.models[planned.model].model.config, shape,
                         std::max(config.row_cap, puzzle_rows), config.memory_limit, ranks,
                         capacity)
            .row_cap;
  }
  return caps;
}

// One run's trajectories, gathered on rank 0 (empty elsewhere), and its wall time.
struct RunOutcomes {
  std::vector<engine::PuzzleOutcome> outcomes;
  double wall = 0.0;
};

// Runs one planned run on every rank; rank 0 writes its raw trajectories to runs/NAME.jsonl
// (a file left by an interrupted attempt is replaced).
RunOutcomes execute_run(const config::SweepConfig& config, const SweepInputs& inputs,
                        const PlannedRun& planned, int row_cap, const SweepOutput& output,
                        engine::DistributedRun& ranks, backend::Backend& backend,
                        Progress& progress, const std::string& progress_label) {
  const LoadedModel& loaded = inputs.models[planned.model];
  engine::RunSettings settings;
  settings.depth = planned.depth;
  settings.halting = planned.halting;
  settings.seed = config.seed;
  settings.record_steps = true;
  progress.start_run(progress_label);
  engine::rank_log("run " + planned.name + ": start");
  std::optional<JsonlWriter> raw;
  if (ranks.is_root()) {
    raw.emplace((output.directory / "runs" / (planned.name + ".jsonl")).string(), true);
    raw->write(records::to_json(records::RunHeader{planned.name, loaded.source.name,
                                                    planned.halting, planned.width,
                                                    planned.depth, config.seed}));
  }
  RunOutcomes result;
  const engine::RunExecution execution = engine::execute_run(
      ranks, backend, loaded.run_model(), *inputs.task, inputs.puzzles, settings,
      engine::RunShape::uniform(planned.width), row_cap,
      [&](const engine::TrajectoryResult&) { progress.advance(planned.depth); },
      [&](engine::PuzzleOutcome&& outcome) {
        raw->write(raw_puzzle_record(inputs.puzzles[outcome.puzzle], outcome,
                                     inputs.truth.target_hashes[outcome.puzzle]));
        result.outcomes.push_back(std::move(outcome));
      });
  result.wall = execution.wall_seconds;
  const engine::ShareStats& stats = execution.share;
  engine::rank_log("run " + planned.name + ": " + std::to_string(stats.items) + " items, " +
                   std::to_string(stats.seconds) + " s running, " + std::to_string(result.wall) +
                   " s with the gather" +
                   (ranks.is_root() && ranks.world_size() > 1
                        ? ", " + std::to_string(stats.bytes_gathered) + " bytes gathered"
                        : std::string()));
  if (raw) raw->close();
  return result;
}

// Rank 0: the records one run's trajectories give that are not on file yet: its cells, its
// entropy curve (when it is its model's entropy run), and the adaptive policies replayed on it
// (policy_cells.h). Returns the cells written.
int write_run_records(const config::SweepConfig& config, const SweepInputs& inputs,
                      const SweepWork& work, int run, const RunOutcomes& ran,
                      SweepOutput& output) {
  const PlannedRun& planned = work.plan.runs[run];
  const LoadedModel& loaded = inputs.models[planned.model];
  const std::string& model_name = loaded.source.name;
  const CellCosts costs{loaded.flops.applications_per_step, loaded.flops.per_step};
  int written = 0;
  for (const PlannedCell& cell : work.plan.cells) {
    if (cell.run != run ||
        output.done.contains(cell_key(model_name, cell.halting, cell.budget, cell.width, cell.depth))) {
      continue;
    }
    records::CellRecord record;
    record.model = model_name;
    record.halting = cell.halting;
    record.strategies = cell.strategies;
    record.budget = cell.budget;
    record.width = cell.width;
    record.depth = cell.depth;
    record.derived = cell.derived;
    record.source_run = planned.name;
    record.figures = cell_figures(ran.outcomes, inputs.truth, inputs.aggregators,
                                  {cell.width, cell.depth}, costs);
    record.timing = cell.derived ? nlohmann::json(nullptr)
                                 : run_timing(ran.outcomes, ran.wall, record.figures);
    output.cells->write(records::to_json(record));
    ++written;
  }
  if (work.entropy_run.at({planned.model, planned.halting}) == run &&
      !output.done.contains(entropy_key(planned.name))) {
    output.cells->write(records::to_json(
        records::EntropyRecord{model_name, planned.halting, planned.name, planned.width,
                               entropy_by_depth(ran.outcomes, planned.depth)}));
  }
  for (const Policy& policy : sweep_policies(config, loaded.has_value_source())) {
    if (!policy.fits(planned.width) || output.done.contains(policy_key(planned.name, policy.name))) {
      continue;
    }
    records::PolicyRecord record;
    record.model = model_name;
    record.halting = planned.halting;
    record.name = policy.name;
    record.settings = policy.settings_json();
    record.width = planned.width;
    record.depth = planned.depth;
    record.source_run = planned.name;
    record.figures = policy_figures(ran.outcomes, inputs.truth, inputs.aggregators, policy,
                                    planned.width, planned.depth, costs);
    output.cells->write(records::to_json(record));
  }
  return written;
}

SweepSummary run_sweep_until_done_or_stopped(const config::SweepConfig& config, int argc,
                                             char** argv, dist::Communicator& communicator,
                                             StopReport& stop_report) {
  const auto sweep_start = std::chrono::steady_clock::now();
  const SweepInputs inputs = read_inputs(config);
  const SweepWork work = plan_work(config, inputs.models);
  engine::DistributedRun ranks(communicator);
  SweepOutput output = output_location(config, work);
  auto backend = backend::make_backend(config.backend, config.threads, ranks.local_rank());
  ranks.use_device_plane(*backend);
  const backend::MemoryCapacity capacity = backend->memory_capacity();
  SweepSummary summary;
  summary.cells = static_cast<int>(work.plan.cells.size());
  summary.cells_path = stop_report.cells_path = output.cells_path;
  stop_report.cells = summary.cells;
  PendingWork pending;
  if (ranks.is_root()) {
    open_output(config, inputs, work, output, *backend, ranks, argc, argv);
    pending = pending_work(config, inputs, work, output, summary.cells);
  }
  share_pending(pending, ranks, communicator);
  summary.cells_resumed = pending.cells_resumed;
  const double total_steps = pending_work_steps(inputs, work, pending, ranks);
  const RowCaps caps = fit_rows(config, inputs, work, pending, ranks, capacity);
  Progress progress(ranks.is_root() ? total_steps : 0.0);
  stop_report.cells_on_file = summary.cells_resumed;
  int run_number = 0;
  for (int run : pending.runs) {
    const PlannedRun& planned = work.plan.runs[run];
    stop_report.run_under_way = planned.name;
    // A removed output directory is reported before a run's work rather than after it.
    if (output.cells) output.cells->check_in_place();
    const std::string label = "run " + std::to_string(++run_number) + "/" +
                              std::to_string(pending.runs.size()) + " " + planned.name;
    const RunOutcomes ran = execute_run(config, inputs, planned, caps.runs.at(run), output, ranks,
                                        *backend, progress, label);
    ++summary.runs_executed;
    if (!ranks.is_root()) continue;
    stop_report.cells_on_file += write_run_records(config, inputs, work, run, ran, output);
    // Durable before the next run starts: a lost node or a SIGKILL costs at most that run.
    output.cells->sync();
    stop_report.run_under_way.clear();
    progress.finish_run(ran.wall);
  }
  if (!pending.searches.empty()) {
    run_searches(inputs, work, pending.searches, caps.searches, config.seed, output, ranks,
                 *backend, progress, stop_report);
    summary.runs_executed += static_cast<int>(pending.searches.size());
  }
  if (output.cells) output.cells->close();
  summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - sweep_start).count();
  return summary;
}

}  // namespace

SweepSummary run_sweep(const config::SweepConfig& config, int argc, char** argv,
                       dist::Communicator& communicator) {
  StopReport report;
  try {
    return run_sweep_until_done_or_stopped(config, argc, argv, communicator, report);
  } catch (const Stopped& stopped) {
    // Every rank stops together (engine::DistributedRun agrees on it); rank 0 alone owns the
    // files and says what they hold and how to go on.
    if (communicator.rank() != 0 || report.cells_path.empty()) throw;
    throw Stopped(stopped.signal(),
                  "sweep stopped by " + signal_name(stopped.signal()) + ": " +
                      std::to_string(report.cells_on_file) + " of " +
                      std::to_string(report.cells) + " cells on file in " + report.cells_path +
                      (report.run_under_way.empty()
                           ? std::string()
                           : ", run " + report.run_under_way + " will run again") +
                      "; rerun the same command to resume");
  }
}

}  // namespace gram::sweep
