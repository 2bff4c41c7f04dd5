#pragma once
// The "policy" and "search" records of a sweep's cells.jsonl: an adaptive policy replayed on a
// width run (sweep/policy_cells.h), or a latent search run of its own (sweep/search_cells.h).
// Both compare with uniform cells at matched compute and share one shape; `search` says which,
// and names the field that carries `name` ("policy" or "search"). docs/reports.md lists the
// fields.
//
// What stays JSON, and why: `settings` (each policy and search kind has its own thresholds and
// rounds, written by Policy::settings_json and sweep::search_settings_json and shown as
// written), and the figures (cell figures, compute distributions, Wilson intervals and the
// McNemar comparisons with the matched and the full uniform cells; sweep/policy_cells.h), which
// the report reads into its typed PolicyCell with checks that need the context's puzzle count.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "records/context_record.h"

namespace gram::records {

struct PolicyRecord {
  bool search = false;  // a "search" record
  std::string model;
  bool halting = false;       // a search: always false
  std::string name;           // beta, agreement, verifier, oracle, allocate; smc or beam
  nlohmann::json settings;    // an object
  std::int64_t width = 1;     // the run's width: the most one puzzle may draw (search: its rows)
  std::int64_t depth = 1;
  std::string source_run;
  nlohmann::json figures = nlohmann::json::object();  // merged in at the top level
  std::optional<nlohmann::json> timing;               // a search's wall time
};

nlohmann::json to_json(const PolicyRecord& policy);
// The identity fields, checked in the order the report always checked them; `record`'s "type"
// is "policy" or "search"; `where` is "<file>:<line>: <type>". Leaves figures and timing empty.
PolicyRecord policy_record_from_json(const nlohmann::json& record, const std::string& where,
                                     const std::vector<ContextModel>& models);

}  // namespace gram::records
