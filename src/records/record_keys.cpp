// Record identities (records/record_keys.h).
#include "records/record_keys.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "records/record_fields.h"
#include "util/error.h"

namespace gram::records {

using nlohmann::json;

namespace {

// Field readers; `where` is "<path>:<line>: cell record".
const json& key_field(const std::string& where, const json& record, const char* name) {
  const auto found = record.find(name);
  if (found == record.end()) throw Error(where + ": missing '" + name + "'");
  return *found;
}

std::string text_field(const std::string& where, const json& record, const char* name) {
  const json& value = key_field(where, record, name);
  if (!value.is_string()) throw Error(where + ": '" + name + "' must be a string");
  return value.get<std::string>();
}

// Widths and depths are ints in the plan; a number outside int on file is no cell of it.
int int_field(const std::string& where, const json& record, const char* name) {
  const json& value = key_field(where, record, name);
  const bool fits = value.is_number_unsigned()
                        ? value.get<std::uint64_t>() <=
                              static_cast<std::uint64_t>(std::numeric_limits<int>::max())
                        : value.is_number_integer() &&
                              value.get<std::int64_t>() >= std::numeric_limits<int>::min() &&
                              value.get<std::int64_t>() <= std::numeric_limits<int>::max();
  if (!fits) throw Error(where + ": '" + name + "' must be an integer in int range");
  return value.get<int>();
}

// A string field, or "" where it is absent or no string.
std::string text_or_empty(const json& record, const char* name) {
  return record.contains(name) && record.at(name).is_string() ? record.at(name).get<std::string>()
                                                              : std::string();
}

}  // namespace

std::string cell_key(const std::string& model, bool halting, double budget, int width,
                     int depth) {
  return json{model, halting, budget, width, depth}.dump();
}

std::string entropy_key(const std::string& run) { return "entropy:" + run; }

std::string policy_key(const std::string& run, const std::string& policy) {
  return "policy:" + run + ":" + policy;
}

std::string search_key(const std::string& run) { return "search:" + run; }

RecordKey record_key_from_json(const json& record, const std::string& at) {
  RecordKey checked;
  // A record without a type is of no kind a resume looks for.
  if (record.contains(field::kType)) checked.type = text_field(at, record, field::kType);
  const std::string where = at + ": " + checked.type + " record";
  if (checked.type == "cell") {
    const json& halting = key_field(where, record, field::kHalting);
    const json& budget = key_field(where, record, "budget");
    if (!halting.is_boolean()) throw Error(where + ": 'halting' must be true or false");
    if (!budget.is_number() || !std::isfinite(budget.get<double>())) {
      throw Error(where + ": 'budget' must be a finite number");
    }
    checked.key = cell_key(text_field(where, record, field::kModel), halting.get<bool>(),
                           budget.get<double>(), int_field(where, record, field::kWidth),
                           int_field(where, record, field::kDepth));
    checked.source_run = text_field(where, record, field::kSourceRun);
  } else if (checked.type == "entropy") {
    checked.source_run = text_field(where, record, field::kSourceRun);
    checked.key = entropy_key(checked.source_run);
  } else {
    // Other kinds (policy replays) name their run too; a shard merge copies its raw file.
    checked.source_run = text_or_empty(record, field::kSourceRun);
  }
  return checked;
}

std::string policy_record_key(const json& record) {
  if (!record.is_object() || text_or_empty(record, field::kType) != "policy") return "";
  const std::string run = text_or_empty(record, field::kSourceRun);
  const std::string policy = text_or_empty(record, "policy");
  if (run.empty() || policy.empty()) return "";
  return policy_key(run, policy);
}

std::string search_record_key(const json& record) {
  if (!record.is_object() || !record.contains(field::kType) ||
      record.at(field::kType) != field::kSearch) {
    return "";
  }
  const std::string run = text_or_empty(record, field::kSourceRun);
  return run.empty() ? "" : search_key(run);
}

}  // namespace gram::records
