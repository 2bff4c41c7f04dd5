#pragma once
// The records of a sweep result directory (`cells.jsonl`, written by `gram sweep`), read into
// typed structs with every field checked once, here, so that the tables never meet a missing or
// mistyped field. docs/reports.md gives the format.
//
//   const report::SweepResults results = report::load_sweeps({"runs/a", "runs/b"});
//
// Several directories are merged into one set of cells; they must agree on task, puzzle file,
// puzzle count and budget unit, because the tables pair cells puzzle by puzzle. Every error is
// one gram::Error line naming the file and line ("runs/a/cells.jsonl:7: cell: ...").
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "records/context_record.h"

namespace gram::report {

// The aggregators a cell may carry, in the order tables list them. "oracle" is an upper bound
// (any valid answer among the trajectories), never a method, so it never wins "best".
const std::vector<std::string>& aggregator_order();
// The strategies a cell may serve: "depth" (N = 1), "width" (N x fixed S), "grid" (all N x S).
const std::vector<std::string>& strategy_order();

// A model of a sweep's context record (records/context_record.h).
using ModelInfo = records::ContextModel;

struct Quantiles {
  double p50 = 0.0, p90 = 0.0, p99 = 0.0;
};

// Measured only for cells that were actually run (not derived by prefixes).
struct Timing {
  double wall_s = 0.0;
  double puzzles_per_s = 0.0;
  double trajectories_per_s = 0.0;
  double applications_per_s = 0.0;
  double flops_per_s = 0.0;
  Quantiles time_to_first_answer_s;
  Quantiles time_to_decision_s;
};

struct Cell {
  std::string model;
  bool halting = false;
  std::vector<std::string> strategies;  // in strategy_order()
  double budget = 0.0;                  // in the sweep's budget unit, per puzzle
  std::int64_t width = 0;               // N trajectories
  std::int64_t depth = 0;               // S supervision steps
  bool derived = false;                 // computed from prefixes of source_run
  std::string source_run;
  std::int64_t puzzles = 0;
  std::vector<std::string> aggregators;          // present ones, in aggregator_order()
  std::map<std::string, std::int64_t> correct;   // aggregator -> puzzles solved
  std::map<std::string, std::string> per_puzzle;  // aggregator -> "0110..." in puzzle order
  std::optional<double> pass_at_1;
  // Per puzzle, right trajectories and trajectories of the run the cell was read from (empty
  // in records written before they existed): pass@1's interval clusters on them.
  std::vector<std::int64_t> trajectories_correct, trajectories_run;
  std::optional<double> pass_at_k;
  std::optional<double> coverage;  // mean coverage@width; none for unique-solution tasks
  std::vector<double> coverage_per_puzzle;  // per puzzle, when recorded
  // The mean over puzzles of 1 / solutions: what one answer per puzzle can cover at most (a
  // deterministic model's ceiling at any width), when recorded.
  std::optional<double> coverage_one_answer_ceiling;
  double applications = 0.0;
  double flops = 0.0;
  double applications_per_puzzle = 0.0;
  double flops_per_puzzle = 0.0;
  std::optional<Timing> timing;
  std::size_t run = 0;   // index into SweepResults::runs
  std::string location;  // "file:line", for messages

  bool serves(const std::string& strategy) const;
  double accuracy(const std::string& aggregator) const;
  std::vector<bool> outcomes(const std::string& aggregator) const;
};

struct EntropyCurve {
  std::string model;
  bool halting = false;
  std::string source_run;
  std::int64_t width = 0;
  std::vector<double> entropy_bits;  // [step - 1], mean over puzzles
  std::size_t run = 0;
};

// A uniform cell an adaptive policy is compared with, puzzle by puzzle (same run, same depth).
struct UniformComparison {
  std::int64_t width = 0;
  std::int64_t depth = 0;
  double applications_per_puzzle = 0.0;
  std::map<std::string, std::int64_t> correct;  // aggregator -> puzzles solved
  std::map<std::string, std::int64_t> only_policy, only_uniform;  // McNemar's discordant pairs
  std::map<std::string, double> p_value;                           // McNemar, exact
};

// An adaptive policy replayed on a width run (sweep/policy_cells.h, a "policy" record), or a
// latent search run of its own (sweep/search_cells.h, a "search" record).
struct PolicyCell {
  bool search = false;     // a "search" record
  std::string model;
  bool halting = false;
  std::string policy;      // beta, agreement, verifier, oracle, allocate; smc or beam (search)
  nlohmann::json settings;  // its thresholds and rounds, as written
  std::int64_t width = 0;  // the run's width: the most one puzzle may draw (search: its rows)
  std::int64_t depth = 0;
  std::string source_run;
  std::int64_t puzzles = 0;
  std::vector<std::string> aggregators;  // present ones, in aggregator_order()
  std::map<std::string, std::int64_t> correct;
  double trajectories_mean = 0.0, trajectories_p50 = 0.0, trajectories_p90 = 0.0;
  double applications_per_puzzle = 0.0;
  double flops_per_puzzle = 0.0;
  double saving = 0.0;  // 1 - applications / the full-width uniform cell's
  UniformComparison matched;  // the nearest not smaller uniform compute
  UniformComparison full;     // the uniform cell of the whole run width
  std::size_t run = 0;
  std::string location;
};

// One input directory: its context record, read field by field (records::SweepContext: host,
// commit, build, task, puzzles, seed, budget unit, peak, models).
struct SweepRun : records::SweepContext {
  std::string directory;
  std::string file;  // directory/cells.jsonl
  nlohmann::json context;
  std::vector<std::string> comparisons;  // the sweep config's, named before the run
  std::size_t torn_lines = 0;     // an unfinished last line, set aside
  std::size_t other_records = 0;  // records of other types, ignored
};

struct SweepResults {
  std::vector<SweepRun> runs;
  std::vector<ModelInfo> models;  // merged over runs, by name
  std::vector<Cell> cells;
  std::vector<EntropyCurve> entropy;
  std::vector<PolicyCell> policies;
  std::vector<std::string> comparisons;  // every run's, in order of appearance, once each
  std::string task;
  std::string budget_unit;
  std::int64_t puzzles = 0;

  const ModelInfo& model(const std::string& name) const;
};

// Reads DIR/cells.jsonl of each directory and merges them (see the header comment).
SweepResults load_sweeps(const std::vector<std::string>& directories);

}  // namespace gram::report
