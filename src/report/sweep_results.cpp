#include "report/sweep_results.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "analysis/comparison_spec.h"
#include "records/cell_record.h"
#include "records/policy_record.h"
#include "records/record_fields.h"
#include "util/error.h"
#include "util/jsonl_writer.h"
#include "util/vocabulary.h"

namespace gram::report {

namespace {

using nlohmann::json;

using records::Fields;

// read_jsonl keeps complete, non-empty lines; their line numbers, for messages.
std::vector<std::size_t> record_line_numbers(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();
  std::vector<std::size_t> lines;
  std::size_t start = 0, number = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    ++number;
    if (end > start) lines.push_back(number);
  }
  return lines;
}

Quantiles read_quantiles(const Fields& timing, const std::string& name) {
  const Fields fields(timing.object(name), timing.where() + ": timing." + name);
  return {fields.non_negative("p50"), fields.non_negative("p90"), fields.non_negative("p99")};
}

// The sweep config's `comparisons` (context.sweep.comparisons), each a valid "A vs B".
std::vector<std::string> read_comparisons(const Fields& fields) {
  if (!fields.has("sweep")) return {};
  const json& sweep = fields.object("sweep");
  if (!sweep.contains("comparisons")) return {};
  const json& list = sweep.at("comparisons");
  if (!list.is_array()) fields.fail("field 'sweep.comparisons' must be an array");
  std::vector<std::string> comparisons;
  for (const json& entry : list) {
    if (!entry.is_string()) fields.fail("field 'sweep.comparisons' must hold strings");
    try {
      comparisons.push_back(analysis::parse_comparison(entry.get<std::string>()).text());
    } catch (const Error& error) {
      fields.fail(std::string("sweep.comparisons: ") + error.what());
    }
  }
  return comparisons;
}

void read_context(const json& record, const std::string& where, SweepRun& run) {
  static_cast<records::SweepContext&>(run) = records::sweep_context_from_json(record, where);
  run.context = record;
  run.comparisons = read_comparisons(Fields(record, where + ": context"));
}

// trajectories_correct / trajectories_run: one entry per puzzle, 0 <= correct <= run >= 1.
void read_trajectory_counts(const Fields& fields, Cell& cell) {
  if (!fields.has("trajectories_correct") && !fields.has("trajectories_run")) return;
  const json& correct = fields.require("trajectories_correct");
  const json& run = fields.require("trajectories_run");
  if (!correct.is_array() || !run.is_array() ||
      static_cast<std::int64_t>(correct.size()) != cell.puzzles || correct.size() != run.size()) {
    fields.fail("trajectories_correct and trajectories_run must hold one count per puzzle");
  }
  for (std::size_t i = 0; i < correct.size(); ++i) {
    if (!correct[i].is_number_integer() || !run[i].is_number_integer() ||
        run[i].get<std::int64_t>() < 1 || correct[i].get<std::int64_t>() < 0 ||
        correct[i].get<std::int64_t>() > run[i].get<std::int64_t>()) {
      fields.fail("trajectories_correct[" + std::to_string(i) + "] must be an integer in [0, " +
                  "trajectories_run[" + std::to_string(i) + "]]");
    }
    cell.trajectories_correct.push_back(correct[i].get<std::int64_t>());
    cell.trajectories_run.push_back(run[i].get<std::int64_t>());
  }
}

// coverage_per_puzzle (one value in [0, 1] per puzzle) and coverage_one_answer_ceiling.
void read_coverage_detail(const Fields& fields, Cell& cell) {
  if (fields.has("coverage_per_puzzle")) {
    const json& values = fields.require("coverage_per_puzzle");
    if (!values.is_array() || static_cast<std::int64_t>(values.size()) != cell.puzzles) {
      fields.fail("coverage_per_puzzle must hold one number per puzzle");
    }
    for (const json& value : values) {
      if (!value.is_number() || value.get<double>() < 0.0 || value.get<double>() > 1.0) {
        fields.fail("coverage_per_puzzle must hold numbers in [0, 1]");
      }
      cell.coverage_per_puzzle.push_back(value.get<double>());
    }
  }
  cell.coverage_one_answer_ceiling = fields.optional_number("coverage_one_answer_ceiling");
}

// The cell's per-aggregator outcomes: 'correct' counts that agree with 'per_puzzle' strings of
// one '0' or '1' per puzzle, for known aggregators only.
void read_cell_outcomes(const Fields& fields, Cell& cell) {
  const json& correct = fields.object("correct");
  const json& per_puzzle = fields.object("per_puzzle");
  for (const auto& [name, value] : correct.items()) {
    const auto& known = aggregator_order();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      fields.fail("unknown aggregator '" + name +
                  "' in 'correct' (expected majority, best_of_n, weighted_vote or oracle)");
    }
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
        value.get<std::int64_t>() > cell.puzzles) {
      fields.fail("correct." + name + " must be an integer in [0, puzzles]");
    }
    if (!per_puzzle.contains(name) || !per_puzzle.at(name).is_string()) {
      fields.fail("per_puzzle." + name + " is missing (every aggregator in 'correct' needs one)");
    }
    const std::string outcomes = per_puzzle.at(name).get<std::string>();
    if (static_cast<std::int64_t>(outcomes.size()) != cell.puzzles ||
        outcomes.find_first_not_of("01") != std::string::npos) {
      fields.fail("per_puzzle." + name + " must hold one '0' or '1' per puzzle (" +
                  std::to_string(cell.puzzles) + "), got " + std::to_string(outcomes.size()) +
                  " characters");
    }
    const auto ones = std::count(outcomes.begin(), outcomes.end(), '1');
    if (ones != value.get<std::int64_t>()) {
      fields.fail("per_puzzle." + name + " has " + std::to_string(ones) + " correct but correct." +
                  name + " = " + std::to_string(value.get<std::int64_t>()));
    }
    cell.correct[name] = value.get<std::int64_t>();
    cell.per_puzzle[name] = outcomes;
  }
  for (const std::string& name : aggregator_order()) {
    if (cell.correct.count(name)) cell.aggregators.push_back(name);
  }
  if (cell.aggregators.empty()) fields.fail("field 'correct' names no aggregator");
}

// A non-derived cell's timing, when the record has one.
void read_cell_timing(const Fields& fields, const std::string& where, Cell& cell) {
  if (fields.has("timing")) {
    const Fields timing(fields.object("timing"), where + ": cell");
    Timing measured;
    measured.wall_s = timing.non_negative("wall_s");
    measured.puzzles_per_s = timing.non_negative("puzzles_per_s");
    measured.trajectories_per_s = timing.non_negative("trajectories_per_s");
    measured.applications_per_s = timing.non_negative("applications_per_s");
    measured.flops_per_s = timing.non_negative("flops_per_s");
    measured.time_to_first_answer_s = read_quantiles(timing, "time_to_first_answer_s");
    measured.time_to_decision_s = read_quantiles(timing, "time_to_decision_s");
    cell.timing = measured;
  }
}

Cell read_cell(const json& record, const std::string& where, const SweepRun& run,
               std::size_t run_index) {
  const Fields fields(record, where + ": cell");
  Cell cell;
  cell.location = where;
  cell.run = run_index;
  const records::CellRecord identity =
      records::cell_record_from_json(record, fields.where(), run.models);
  cell.model = identity.model;
  cell.halting = identity.halting;
  cell.strategies = identity.strategies;
  cell.budget = identity.budget;
  cell.width = identity.width;
  cell.depth = identity.depth;
  cell.derived = identity.derived;
  cell.source_run = identity.source_run;
  cell.puzzles = fields.integer("puzzles", 1);
  if (cell.puzzles != run.puzzles) {
    fields.fail("puzzles = " + std::to_string(cell.puzzles) + " but the context says " +
                std::to_string(run.puzzles));
  }

  read_cell_outcomes(fields, cell);
  cell.pass_at_1 = fields.optional_number("pass_at_1");
  read_trajectory_counts(fields, cell);
  cell.pass_at_k = fields.optional_number("pass_at_k");
  cell.coverage = fields.optional_number("coverage");
  read_coverage_detail(fields, cell);
  cell.applications = fields.non_negative("applications");
  cell.flops = fields.non_negative("flops");
  cell.applications_per_puzzle = fields.non_negative("applications_per_puzzle");
  cell.flops_per_puzzle = fields.non_negative("flops_per_puzzle");
  read_cell_timing(fields, where, cell);
  return cell;
}

EntropyCurve read_entropy(const json& record, const std::string& where, const SweepRun& run,
                          std::size_t run_index) {
  records::EntropyRecord read =
      records::entropy_record_from_json(record, where + ": entropy", run.models);
  EntropyCurve curve;
  curve.run = run_index;
  curve.model = std::move(read.model);
  curve.halting = read.halting;
  curve.source_run = std::move(read.source_run);
  curve.width = read.width;
  curve.entropy_bits = std::move(read.entropy_bits);
  return curve;
}

// The aggregators of a policy record's "correct", each checked against the puzzle count.
std::map<std::string, std::int64_t> read_correct(const Fields& fields, std::int64_t puzzles) {
  std::map<std::string, std::int64_t> correct;
  for (const auto& [name, value] : fields.object("correct").items()) {
    const auto& known = aggregator_order();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      fields.fail("unknown aggregator '" + name + "' in 'correct'");
    }
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
        value.get<std::int64_t>() > puzzles) {
      fields.fail("correct." + name + " must be an integer in [0, puzzles]");
    }
    correct[name] = value.get<std::int64_t>();
  }
  if (correct.empty()) fields.fail("field 'correct' names no aggregator");
  return correct;
}

UniformComparison read_uniform(const Fields& policy, const std::string& name,
                               const PolicyCell& cell) {
  const Fields fields(policy.object(name), policy.where() + "." + name);
  UniformComparison uniform;
  uniform.width = fields.integer("width", 1);
  // A policy is compared within its own run; a search with the sweep's uniform cells.
  if (!cell.search && uniform.width > cell.width) fields.fail("width exceeds the run's width");
  uniform.depth = fields.integer("depth", 1);
  uniform.applications_per_puzzle = fields.non_negative("applications_per_puzzle");
  uniform.correct = read_correct(fields, cell.puzzles);
  const Fields tests(fields.object("mcnemar"), fields.where() + ".mcnemar");
  for (const auto& [aggregator, solved] : cell.correct) {
    const Fields test(tests.object(aggregator), tests.where() + "." + aggregator);
    uniform.only_policy[aggregator] = test.integer("only_policy", 0);
    uniform.only_uniform[aggregator] = test.integer("only_uniform", 0);
    uniform.p_value[aggregator] = test.non_negative("p_value");
    if (!uniform.correct.count(aggregator)) fields.fail("correct." + aggregator + " is missing");
    // The discordant pairs must explain the difference in puzzles solved.
    if (solved - uniform.correct[aggregator] !=
        uniform.only_policy[aggregator] - uniform.only_uniform[aggregator]) {
      test.fail("only_policy - only_uniform differs from the difference in correct");
    }
  }
  return uniform;
}

PolicyCell read_policy(const json& record, const std::string& where, const SweepRun& run,
                       std::size_t run_index) {
  const std::string type = record.at("type").get<std::string>();
  const Fields fields(record, where + ": " + type);
  PolicyCell cell;
  cell.search = type == "search";
  cell.location = where;
  cell.run = run_index;
  records::PolicyRecord identity =
      records::policy_record_from_json(record, fields.where(), run.models);
  cell.model = std::move(identity.model);
  cell.halting = identity.halting;
  cell.policy = std::move(identity.name);
  cell.settings = std::move(identity.settings);
  cell.width = identity.width;
  cell.depth = identity.depth;
  cell.source_run = std::move(identity.source_run);
  cell.puzzles = fields.integer("puzzles", 1);
  if (cell.puzzles != run.puzzles) {
    fields.fail("puzzles = " + std::to_string(cell.puzzles) + " but the context says " +
                std::to_string(run.puzzles));
  }
  cell.correct = read_correct(fields, cell.puzzles);
  for (const std::string& name : aggregator_order()) {
    if (cell.correct.count(name)) cell.aggregators.push_back(name);
  }
  const Fields trajectories(fields.object("trajectories_per_puzzle"),
                            where + ": " + type + ".trajectories_per_puzzle");
  cell.trajectories_mean = trajectories.non_negative("mean");
  cell.trajectories_p50 = trajectories.non_negative("p50");
  cell.trajectories_p90 = trajectories.non_negative("p90");
  if (cell.trajectories_mean > cell.width || trajectories.non_negative("max") > cell.width) {
    trajectories.fail("a puzzle drew more trajectories than the run's width");
  }
  cell.applications_per_puzzle = fields.non_negative("applications_per_puzzle");
  cell.flops_per_puzzle = fields.non_negative("flops_per_puzzle");
  cell.saving = fields.number("saving");
  if (cell.saving < 0.0 || cell.saving > 1.0) fields.fail("field 'saving' must lie in [0, 1]");
  cell.matched = read_uniform(fields, "matched_uniform", cell);
  cell.full = read_uniform(fields, "full_uniform", cell);
  if (cell.matched.applications_per_puzzle < cell.applications_per_puzzle) {
    fields.fail("matched_uniform spends less than the policy (it must be the nearest not smaller)");
  }
  return cell;
}

SweepRun read_run(const std::string& directory, std::size_t run_index, SweepResults& results) {
  namespace fs = std::filesystem;
  if (!fs::exists(directory)) throw Error(directory + ": no such directory");
  if (!fs::is_directory(directory)) throw Error(directory + ": not a directory");
  SweepRun run;
  run.directory = directory;
  run.file = (fs::path(directory) / "cells.jsonl").string();
  if (!fs::exists(run.file)) throw Error(run.file + ": no such file (not a sweep result directory?)");
  const std::vector<json> records = read_jsonl(run.file, &run.torn_lines);
  if (run.torn_lines > 0) {
    // The torn tail of a killed sweep is never read as a record; say so where it is seen.
    std::fprintf(stderr, "report: %s: unfinished last line (an interrupted sweep) set aside\n",
                 run.file.c_str());
  }
  const std::vector<std::size_t> lines = record_line_numbers(run.file);
  GRAM_ASSERT(lines.size() >= records.size(), run.file);
  if (records.empty()) throw Error(run.file + ": no context record (the file holds no records)");
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string where = run.file + ":" + std::to_string(lines[i]);
    const json& record = records[i];
    if (!record.is_object() || !record.contains("type") || !record.at("type").is_string()) {
      throw Error(where + ": not a record (expected an object with a string field 'type')");
    }
    const std::string type = record.at("type").get<std::string>();
    if (i == 0 && type != "context") {
      throw Error(where + ": no context record (the first record has type '" + type + "')");
    }
    if (type == "context") {
      if (i != 0) throw Error(where + ": a second context record");
      read_context(record, where, run);
    } else if (type == "cell") {
      results.cells.push_back(read_cell(record, where, run, run_index));
    } else if (type == "entropy") {
      results.entropy.push_back(read_entropy(record, where, run, run_index));
    } else if (type == "policy" || type == "search") {
      results.policies.push_back(read_policy(record, where, run, run_index));
    } else {
      ++run.other_records;
    }
  }
  return run;
}

}  // namespace

const std::vector<std::string>& aggregator_order() { return aggregator_names(); }

const std::vector<std::string>& strategy_order() { return strategy_names(); }

bool Cell::serves(const std::string& strategy) const {
  return std::find(strategies.begin(), strategies.end(), strategy) != strategies.end();
}

double Cell::accuracy(const std::string& aggregator) const {
  return static_cast<double>(correct.at(aggregator)) / static_cast<double>(puzzles);
}

std::vector<bool> Cell::outcomes(const std::string& aggregator) const {
  std::vector<bool> result;
  for (char outcome : per_puzzle.at(aggregator)) result.push_back(outcome == '1');
  return result;
}

const ModelInfo& SweepResults::model(const std::string& name) const {
  for (const ModelInfo& model : models) {
    if (model.name == name) return model;
  }
  throw Error("model '" + name + "' is not in any context record");
}

SweepResults load_sweeps(const std::vector<std::string>& directories) {
  if (directories.empty()) throw Error("no sweep result directory given");
  SweepResults results;
  for (std::size_t i = 0; i < directories.size(); ++i) {
    results.runs.push_back(read_run(directories[i], i, results));
  }
  const SweepRun& first = results.runs.front();
  results.task = first.task;
  results.budget_unit = first.budget_unit;
  results.puzzles = first.puzzles;
  for (const SweepRun& run : results.runs) {
    // Cells are paired puzzle by puzzle across directories, so the puzzles must be the same.
    const auto differs = [&](const std::string& what, const std::string& here,
                             const std::string& there) {
      if (here != there) {
        throw Error(run.file + ": " + what + " '" + here + "' differs from '" + there + "' in " +
                    first.file + " (only sweeps of the same puzzles can share a report)");
      }
    };
    differs("task", run.task, first.task);
    differs("puzzles_file", run.puzzles_file, first.puzzles_file);
    differs("puzzles", std::to_string(run.puzzles), std::to_string(first.puzzles));
    differs("budget_unit", run.budget_unit, first.budget_unit);
    for (const std::string& comparison : run.comparisons) {
      if (std::find(results.comparisons.begin(), results.comparisons.end(), comparison) ==
          results.comparisons.end()) {
        results.comparisons.push_back(comparison);
      }
    }
    for (const ModelInfo& model : run.models) {
      const auto known = std::find_if(results.models.begin(), results.models.end(),
                                      [&](const ModelInfo& other) { return other.name == model.name; });
      if (known == results.models.end()) {
        results.models.push_back(model);
      } else if (known->path != model.path || known->parameters != model.parameters) {
        throw Error(run.file + ": model '" + model.name +
                    "' names a different checkpoint than in an earlier directory");
      }
    }
  }
  // The same cell twice would be counted twice in every "best" choice.
  std::map<std::tuple<std::string, bool, double, std::int64_t, std::int64_t>, const Cell*> seen;
  for (const Cell& cell : results.cells) {
    const auto key = std::make_tuple(cell.model, cell.halting, cell.budget, cell.width, cell.depth);
    const auto [where, inserted] = seen.emplace(key, &cell);
    if (!inserted) {
      throw Error(cell.location + ": cell duplicates the one at " + where->second->location +
                  " (same model, halting, budget, width and depth)");
    }
  }
  return results;
}

}  // namespace gram::report
