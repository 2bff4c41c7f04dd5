#pragma once
// The records of an existing OUTPUT/cells.jsonl (or a shard's), as a resumed sweep reads them:
// the context record must come first and carry this sweep's plan hash, and every cell and
// entropy record must carry the fields that say which cell or run it is. A resume meets files
// from killed runs and hand edits, so each of those fields is checked here and a bad one is one
// gram::Error line "<path>:<line>: cell record: 'width' must be an integer".
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "records/record_keys.h"

namespace gram::sweep {

// Identity of a cell or an entropy curve on file, to tell which an interrupted sweep already
// wrote (records/record_keys.h).
using records::cell_key;
using records::entropy_key;

struct SweepRecord {
  nlohmann::json json;
  std::string type;        // "context", "cell", "entropy", or another type (kept, not keyed)
  std::string key;         // cell_key / entropy_key; empty for other types
  std::string source_run;  // the run a cell or entropy curve came from; empty for other types
};

// Reads `path` and checks it as the header comment says; `plan_hash` is this sweep's.
std::vector<SweepRecord> read_sweep_records(const std::string& path, const std::string& plan_hash);

}  // namespace gram::sweep
