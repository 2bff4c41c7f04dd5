#pragma once
// The "cell" and "entropy" records of a sweep's cells.jsonl (docs/reports.md lists the fields).
// The sweep fills them (sweep/sweep.cpp) and writes to_json(); the report reads them back with
// the *_from_json readers, which check every field they read and throw one gram::Error line
// naming the file, line and field.
//
// What stays JSON, and why: a cell's figures (puzzles, correct and per_puzzle per aggregator,
// pass@k, coverage, compute; sweep/cell_metrics.h) and its timing (sweep/sweep.cpp) are written
// at the record's top level from the JSON the sweep computes them as. They are many and checked
// against each other and the context's puzzle count, so the report reads them into its own
// typed Cell (report/sweep_results.h); cell_record_from_json reads the identity fields only.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "records/context_record.h"

namespace gram::records {

struct CellRecord {
  std::string model;
  bool halting = false;
  std::vector<std::string> strategies;  // every strategy the cell serves at its budget
  double budget = 0.0;                  // in the sweep's budget unit, per puzzle
  std::int64_t width = 1;               // N trajectories
  std::int64_t depth = 1;               // S supervision steps
  bool derived = false;                 // computed from prefixes of source_run
  std::string source_run;
  nlohmann::json figures = nlohmann::json::object();  // sweep::cell_figures, merged in
  nlohmann::json timing;                              // null for a derived cell
};

nlohmann::json to_json(const CellRecord& cell);
// The identity fields, checked in the order the report always checked them; `where` is
// "<file>:<line>: cell", `models` the context's. Leaves figures and timing empty.
CellRecord cell_record_from_json(const nlohmann::json& record, const std::string& where,
                                 const std::vector<ContextModel>& models);

// The answer entropy of a model's entropy run, after each step (sweep/cell_metrics.h).
struct EntropyRecord {
  std::string model;
  bool halting = false;
  std::string source_run;
  std::int64_t width = 1;
  std::vector<double> entropy_bits;  // [step - 1], mean over puzzles
};

nlohmann::json to_json(const EntropyRecord& entropy);
// `where` is "<file>:<line>: entropy".
EntropyRecord entropy_record_from_json(const nlohmann::json& record, const std::string& where,
                                       const std::vector<ContextModel>& models);

}  // namespace gram::records
