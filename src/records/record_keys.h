#pragma once
// The identity of each record of a sweep's cells.jsonl, as a string key: what a resumed sweep
// and a shard merge compare to tell which records are on file already (sweep/sweep_output.cpp).
//
// record_key_from_json checks, on a record read back, only the fields its key is made of, with
// the resume's own messages ("<path>:<line>: cell record: 'width' must be an integer in int
// range"): a resume meets files from killed runs and hand edits, and must refuse one whose key
// it cannot read, but leaves the figures to the report.
#include <string>

#include <nlohmann/json.hpp>

namespace gram::records {

std::string cell_key(const std::string& model, bool halting, double budget, int width, int depth);
std::string entropy_key(const std::string& run);
std::string policy_key(const std::string& run, const std::string& policy);
std::string search_key(const std::string& run);

// A record read back: its type, its key (cells and entropy curves) and the run it came from.
struct RecordKey {
  std::string type;        // "" for a record without one
  std::string key;         // cell_key / entropy_key; empty for other types
  std::string source_run;  // empty where the record names none
};
// `at` is "<path>:<line>"; `record` must be an object.
RecordKey record_key_from_json(const nlohmann::json& record, const std::string& at);

// The key of a policy or a search record read back: "" unless it is one, with string
// `source_run` (and `policy`). These never throw: a shard merge skips what it cannot key.
std::string policy_record_key(const nlohmann::json& record);
std::string search_record_key(const nlohmann::json& record);

}  // namespace gram::records
