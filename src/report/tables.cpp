#include "report/tables.h"

#include <algorithm>
#include <map>
#include <memory>
#include <tuple>

#include "analysis/inference.h"
#include "analysis/metrics.h"
#include "report/findings.h"

namespace gram::report {

namespace {

using nlohmann::json;

json optional_value(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

std::size_t model_rank(const SweepResults& results, const std::string& name) {
  for (std::size_t i = 0; i < results.models.size(); ++i) {
    if (results.models[i].name == name) return i;
  }
  return results.models.size();
}

std::size_t strategy_rank(const Cell& cell) {
  const auto& order = strategy_order();
  return static_cast<std::size_t>(
      std::find(order.begin(), order.end(), cell.strategies.front()) - order.begin());
}

// model order of the context, halting off first, budget, strategy, width.
std::vector<const Cell*> sorted_cells(const SweepResults& results) {
  std::vector<const Cell*> cells;
  for (const Cell& cell : results.cells) cells.push_back(&cell);
  std::stable_sort(cells.begin(), cells.end(), [&](const Cell* a, const Cell* b) {
    return std::make_tuple(model_rank(results, a->model), a->halting, a->budget, strategy_rank(*a),
                           a->width, a->depth) <
           std::make_tuple(model_rank(results, b->model), b->halting, b->budget, strategy_rank(*b),
                           b->width, b->depth);
  });
  return cells;
}

Table runs_table(const SweepResults& results, const TableOptions& options) {
  Table table{"runs", "Context of each sweep result directory", {
      {"directory", "input directory"},
      {"commit", "git describe of the engine that ran the sweep"},
      {"host", "host name"},
      {"cores", "hardware threads of the host"},
      {"backend", "compute backend"},
      {"build_type", "CMake build type"},
      {"compiler", "compiler id and version"},
      {"start_time", "UTC start of the sweep"},
      {"task", "task spec"},
      {"puzzles_file", "puzzle file"},
      {"puzzles", "puzzles per cell"},
      {"seed", "run seed"},
      {"budget_unit", "steps or flops (per puzzle)"},
      {"peak_gflops_per_s", "device peak used for fraction of peak, GFLOP/s"},
      {"peak_source", "where the peak comes from"},
      {"torn_lines", "unfinished last lines set aside (0 or 1)"},
      {"other_records", "records of other types, ignored"},
      {"command_line", "the sweep's command line"}}, {}};
  for (const SweepRun& run : results.runs) {
    json peak = nullptr;
    std::string source = "none";
    if (options.peak_gflops) {
      peak = *options.peak_gflops;
      source = "--peak-gflops of gram report";
    } else if (run.peak_flops_per_s) {
      peak = *run.peak_flops_per_s / 1e9;
      source = run.peak_source;
    }
    table.add({{"directory", run.directory}, {"commit", run.commit}, {"host", run.host},
               {"cores", run.cores}, {"backend", run.backend}, {"build_type", run.build_type},
               {"compiler", run.compiler}, {"start_time", run.start_time}, {"task", run.task},
               {"puzzles_file", run.puzzles_file}, {"puzzles", run.puzzles}, {"seed", run.seed},
               {"budget_unit", run.budget_unit}, {"peak_gflops_per_s", peak},
               {"peak_source", source}, {"torn_lines", run.torn_lines},
               {"other_records", run.other_records}, {"command_line", run.command_line}});
  }
  return table;
}

Table models_table(const SweepResults& results) {
  Table table{"models", "Models", {
      {"model", "model name in the sweep"},
      {"path", "checkpoint"},
      {"parameters", "parameter count"},
      {"flops_per_application", "FLOPs of one pass of F over P+L positions"},
      {"flops_per_step", "FLOPs of one supervision step of one trajectory"},
      {"training_flops", "training FLOPs, the recursion counted (empty = not known)"},
      {"training_source", "where training_flops comes from: model file or config"}}, {}};
  for (const ModelInfo& model : results.models) {
    table.add({{"model", model.name}, {"path", model.path}, {"parameters", model.parameters},
               {"flops_per_application", model.flops_per_application},
               {"flops_per_step", model.flops_per_step},
               {"training_flops", optional_value(model.training_flops)},
               {"training_source", model.training_source.empty() ? json(nullptr)
                                                                 : json(model.training_source)}});
  }
  return table;
}

// pass@1's interval: trajectories of a puzzle are not independent, so it clusters by puzzle.
// Null for records written without per-puzzle counts.
json clustered_pass_at_1(const Cell& cell) {
  if (cell.trajectories_correct.empty()) return {{"pass_at_1_low", nullptr}, {"pass_at_1_high", nullptr}};
  const analysis::ClusteredRate rate =
      analysis::clustered_rate(cell.trajectories_correct, cell.trajectories_run);
  return {{"pass_at_1_low", rate.interval.low}, {"pass_at_1_high", rate.interval.high}};
}

json coverage_interval(const Cell& cell) {
  json fields = {{"coverage_low", nullptr},
                 {"coverage_high", nullptr},
                 {"coverage_one_answer_ceiling", optional_value(cell.coverage_one_answer_ceiling)}};
  if (!cell.coverage_per_puzzle.empty()) {
    const analysis::Interval interval = analysis::mean_interval(cell.coverage_per_puzzle, 0.0, 1.0);
    fields["coverage_low"] = interval.low;
    fields["coverage_high"] = interval.high;
  }
  return fields;
}

Table iso_budget_table(const SweepResults& results) {
  Table table{"iso_budget", "Every cell, grouped by model, halting and budget", {
      {"model", "model name"},
      {"halting", "trajectories stop when the halt head says so"},
      {"budget", "budget per puzzle, in budget_unit"},
      {"budget_unit", "steps or flops"},
      {"strategies", "strategies this cell serves, '+'-joined (depth, width, grid)"},
      {"width", "N, trajectories per puzzle"},
      {"depth", "S, supervision steps per trajectory"},
      {"derived", "computed from prefixes of source_run rather than run"},
      {"source_run", "the run the cell's trajectories come from"},
      {"puzzles", "puzzles scored"}}, {}};
  for (const std::string& aggregator : aggregator_order()) {
    table.columns.push_back({aggregator + "_correct", "puzzles solved by " + aggregator});
    table.columns.push_back({aggregator + "_accuracy", aggregator + " accuracy (fraction)"});
    table.columns.push_back({aggregator + "_low", "Wilson 95% lower bound"});
    table.columns.push_back({aggregator + "_high", "Wilson 95% upper bound"});
  }
  table.columns.insert(table.columns.end(), {
      {"pass_at_1", "mean single-trajectory accuracy"},
      {"pass_at_1_low", "95% lower bound of pass_at_1, clustered by puzzle (Wilson on the "
                        "effective trajectory count, analysis/inference.h)"},
      {"pass_at_1_high", "95% upper bound of pass_at_1, clustered by puzzle"},
      {"pass_at_k", "unbiased pass@k with k = width"},
      {"coverage", "mean coverage@width (empty for unique-solution tasks)"},
      {"coverage_low", "95% lower bound of coverage (Student's t over puzzles)"},
      {"coverage_high", "95% upper bound of coverage"},
      {"coverage_one_answer_ceiling",
       "the most one answer per puzzle can cover (a deterministic model at any width)"},
      {"applications_per_puzzle", "network applications executed per puzzle"},
      {"flops_per_puzzle", "FLOPs executed per puzzle"},
      {"directory", "input directory"}});
  for (const Cell* cell : sorted_cells(results)) {
    json row = {{"model", cell->model}, {"halting", cell->halting}, {"budget", cell->budget},
                {"budget_unit", results.budget_unit}, {"strategies", join(cell->strategies, "+")},
                {"width", cell->width}, {"depth", cell->depth}, {"derived", cell->derived},
                {"source_run", cell->source_run}, {"puzzles", cell->puzzles},
                {"pass_at_1", optional_value(cell->pass_at_1)},
                {"pass_at_k", optional_value(cell->pass_at_k)},
                {"coverage", optional_value(cell->coverage)},
                {"applications_per_puzzle", cell->applications_per_puzzle},
                {"flops_per_puzzle", cell->flops_per_puzzle},
                {"directory", results.runs[cell->run].directory}};
    row.update(clustered_pass_at_1(*cell));
    row.update(coverage_interval(*cell));
    for (const std::string& aggregator : cell->aggregators) {
      const analysis::Interval interval =
          analysis::wilson_interval(cell->correct.at(aggregator), cell->puzzles);
      row[aggregator + "_correct"] = cell->correct.at(aggregator);
      row[aggregator + "_accuracy"] = cell->accuracy(aggregator);
      row[aggregator + "_low"] = interval.low;
      row[aggregator + "_high"] = interval.high;
    }
    table.add(std::move(row));
  }
  return table;
}

Table iso_budget_mcnemar_table(const SweepResults& results) {
  Table table{"iso_budget_mcnemar",
              "Paired comparisons at each budget: best width (grid) cell vs the depth cell", {
      {"model", "model name"},
      {"halting", "halting on"},
      {"budget", "budget per puzzle, in budget_unit"},
      {"comparison", "'width vs depth' or 'grid vs depth'"},
      {"aggregator", "aggregator whose per-puzzle outcomes are compared"},
      {"a_cell", "the best cell of the first strategy, N x S"},
      {"a_accuracy", "its accuracy"},
      {"b_cell", "the depth cell, N x S"},
      {"b_accuracy", "its accuracy"},
      {"only_a", "puzzles only the first cell solved"},
      {"only_b", "puzzles only the depth cell solved"},
      {"p_value", "exact two-sided McNemar p"}}, {}};
  std::map<std::tuple<std::size_t, bool, double>, std::vector<const Cell*>> groups;
  for (const Cell* cell : sorted_cells(results)) {
    groups[{model_rank(results, cell->model), cell->halting, cell->budget}].push_back(cell);
  }
  for (const auto& [key, cells] : groups) {
    const std::string aggregator = ranking_aggregator(cells);
    if (aggregator.empty()) continue;
    std::vector<const Cell*> depth_cells;
    for (const Cell* cell : cells) {
      if (cell->serves("depth")) depth_cells.push_back(cell);
    }
    const Cell* depth = best_cell(depth_cells, aggregator);
    if (depth == nullptr) continue;
    for (const std::string strategy : {"width", "grid"}) {
      std::vector<const Cell*> candidates;
      for (const Cell* cell : cells) {
        if (cell->serves(strategy) && cell != depth) candidates.push_back(cell);
      }
      const Cell* best = best_cell(candidates, aggregator);
      if (best == nullptr) continue;
      const PairedTest test = paired_test(*best, aggregator, *depth, aggregator);
      table.add({{"model", depth->model}, {"halting", depth->halting}, {"budget", depth->budget},
                 {"comparison", strategy + std::string(" vs depth")}, {"aggregator", aggregator},
                 {"a_cell", cell_label(best->width, best->depth)},
                 {"a_accuracy", best->accuracy(aggregator)},
                 {"b_cell", cell_label(depth->width, depth->depth)},
                 {"b_accuracy", depth->accuracy(aggregator)}, {"only_a", test.only_a},
                 {"only_b", test.only_b}, {"p_value", test.p_value}});
    }
  }
  return table;
}

Table latency_table(const SweepResults& results, const TableOptions& options) {
  Table table{"latency", "Latency and throughput of the cells that were run (not derived)", {
      {"model", "model name"},
      {"halting", "halting on"},
      {"budget", "budget per puzzle, in budget_unit"},
      {"strategies", "strategies this cell serves"},
      {"width", "N"},
      {"depth", "S"},
      {"source_run", "run name"},
      {"wall_s", "wall time of the run, s"},
      {"first_answer_p50_s", "time to first answer per puzzle, median, s"},
      {"first_answer_p90_s", "time to first answer, 90th percentile, s"},
      {"first_answer_p99_s", "time to first answer, 99th percentile, s"},
      {"decision_p50_s", "time to decision per puzzle, median, s"},
      {"decision_p90_s", "time to decision, 90th percentile, s"},
      {"decision_p99_s", "time to decision, 99th percentile, s"},
      {"puzzles_per_s", "puzzles decided per second"},
      {"trajectories_per_s", "trajectories finished per second"},
      {"applications_per_s", "network applications per second"},
      {"gflops_per_s", "achieved GFLOP/s"},
      {"peak_gflops_per_s", "device peak, GFLOP/s"},
      {"fraction_of_peak", "gflops_per_s / peak_gflops_per_s"}}, {}};
  for (const Cell* cell : sorted_cells(results)) {
    if (cell->derived || !cell->timing) continue;
    const Timing& timing = *cell->timing;
    const SweepRun& run = results.runs[cell->run];
    std::optional<double> peak = options.peak_gflops;
    if (!peak && run.peak_flops_per_s) peak = *run.peak_flops_per_s / 1e9;
    const double gflops = timing.flops_per_s / 1e9;
    table.add({{"model", cell->model}, {"halting", cell->halting}, {"budget", cell->budget},
               {"strategies", join(cell->strategies, "+")}, {"width", cell->width},
               {"depth", cell->depth}, {"source_run", cell->source_run}, {"wall_s", timing.wall_s},
               {"first_answer_p50_s", timing.time_to_first_answer_s.p50},
               {"first_answer_p90_s", timing.time_to_first_answer_s.p90},
               {"first_answer_p99_s", timing.time_to_first_answer_s.p99},
               {"decision_p50_s", timing.time_to_decision_s.p50},
               {"decision_p90_s", timing.time_to_decision_s.p90},
               {"decision_p99_s", timing.time_to_decision_s.p99},
               {"puzzles_per_s", timing.puzzles_per_s},
               {"trajectories_per_s", timing.trajectories_per_s},
               {"applications_per_s", timing.applications_per_s}, {"gflops_per_s", gflops},
               {"peak_gflops_per_s", optional_value(peak)},
               {"fraction_of_peak", peak && *peak > 0 ? json(gflops / *peak) : json(nullptr)}});
  }
  return table;
}

Table entropy_table(const SweepResults& results) {
  Table table{"entropy", "Answer entropy across trajectories by supervision step", {
      {"model", "model name"},
      {"halting", "halting on"},
      {"source_run", "run name"},
      {"width", "trajectories per puzzle the entropy is taken over"},
      {"step", "supervision step (depth), from 1"},
      {"entropy_bits", "mean over puzzles of the answer entropy, bits"}}, {}};
  for (const EntropyCurve& curve : results.entropy) {
    for (std::size_t step = 0; step < curve.entropy_bits.size(); ++step) {
      table.add({{"model", curve.model}, {"halting", curve.halting},
                 {"source_run", curve.source_run}, {"width", curve.width},
                 {"step", step + 1}, {"entropy_bits", curve.entropy_bits[step]}});
    }
  }
  return table;
}

Table derived_table(const SweepResults& results) {
  Table table{"derived", "Cells derived by taking prefixes of a run's trajectories and steps", {
      {"source_run", "the run whose trajectories were reused"},
      {"model", "model name"},
      {"halting", "halting on"},
      {"cells", "derived cells, N x S, space-separated"},
      {"count", "number of derived cells"}}, {}};
  std::map<std::tuple<std::string, std::string, bool>, std::vector<std::string>> groups;
  for (const Cell* cell : sorted_cells(results)) {
    if (!cell->derived) continue;
    std::vector<std::string>& labels = groups[{cell->source_run, cell->model, cell->halting}];
    const std::string label = cell_label(cell->width, cell->depth);
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
  }
  for (const auto& [key, labels] : groups) {
    table.add({{"source_run", std::get<0>(key)}, {"model", std::get<1>(key)},
               {"halting", std::get<2>(key)}, {"cells", join(labels, " ")},
               {"count", labels.size()}});
  }
  return table;
}

}  // namespace

std::string cell_label(std::int64_t width, std::int64_t depth) {
  return std::to_string(width) + "x" + std::to_string(depth);
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i ? separator : "") + parts[i];
  return text;
}

std::string ranking_aggregator(const std::vector<const Cell*>& cells) {
  if (cells.empty()) return "";
  const auto all_carry = [&](const std::string& aggregator) {
    return std::all_of(cells.begin(), cells.end(),
                       [&](const Cell* cell) { return cell->correct.count(aggregator) > 0; });
  };
  for (const std::string& aggregator : aggregator_order()) {
    if (aggregator != "oracle" && all_carry(aggregator)) return aggregator;
  }
  return all_carry("oracle") ? "oracle" : "";
}

const Cell* best_cell(const std::vector<const Cell*>& cells, const std::string& aggregator) {
  const Cell* best = nullptr;
  for (const Cell* cell : cells) {
    if (!cell->correct.count(aggregator)) continue;
    if (best == nullptr ||
        std::make_tuple(-cell->correct.at(aggregator), cell->flops_per_puzzle, cell->width) <
            std::make_tuple(-best->correct.at(aggregator), best->flops_per_puzzle, best->width)) {
      best = cell;
    }
  }
  return best;
}

PairedTest paired_test(const Cell& a, const std::string& a_aggregator, const Cell& b,
                       const std::string& b_aggregator) {
  const std::vector<bool> a_outcomes = a.outcomes(a_aggregator);
  const std::vector<bool> b_outcomes = b.outcomes(b_aggregator);
  // std::vector<bool> is packed; analysis::mcnemar takes contiguous bools.
  const std::unique_ptr<bool[]> a_bits(new bool[a_outcomes.size()]);
  const std::unique_ptr<bool[]> b_bits(new bool[b_outcomes.size()]);
  std::copy(a_outcomes.begin(), a_outcomes.end(), a_bits.get());
  std::copy(b_outcomes.begin(), b_outcomes.end(), b_bits.get());
  const analysis::McNemarResult result = analysis::mcnemar({a_bits.get(), a_outcomes.size()},
                                                           {b_bits.get(), b_outcomes.size()});
  return {result.only_a, result.only_b, result.p_value};
}

std::vector<const Table*> ReportTables::all() const {
  return {&findings, &runs,    &models,  &iso_budget, &iso_budget_mcnemar, &model_comparison,
          &total_matched, &latency, &entropy, &derived,    &adaptive, &samplers,
          &sampler_collapse};
}

ReportTables build_tables(const SweepResults& results, const TableOptions& options) {
  ReportTables tables;
  tables.runs = runs_table(results, options);
  tables.models = models_table(results);
  tables.iso_budget = iso_budget_table(results);
  tables.iso_budget_mcnemar = iso_budget_mcnemar_table(results);
  build_model_comparison(results, tables);
  build_total_matched(results, tables);
  build_adaptive_table(results, tables);
  build_sampler_tables(results, tables);
  tables.latency = latency_table(results, options);
  tables.entropy = entropy_table(results);
  tables.derived = derived_table(results);
  build_findings(results, tables);
  return tables;
}

}  // namespace gram::report
