#include "sweep/sweep_records.h"

#include <cmath>
#include <cstddef>
#include <limits>

#include "util/error.h"
#include "util/jsonl_writer.h"

namespace gram::sweep {
namespace {

using json = nlohmann::json;

// Field readers; `where` is "<path>:<line>: cell record".
const json& field(const std::string& where, const json& record, const char* name) {
  const auto found = record.find(name);
  if (found == record.end()) throw Error(where + ": missing '" + name + "'");
  return *found;
}

std::string text_field(const std::string& where, const json& record, const char* name) {
  const json& value = field(where, record, name);
  if (!value.is_string()) throw Error(where + ": '" + name + "' must be a string");
  return value.get<std::string>();
}

// Widths and depths are ints in the plan; a number outside int on file is no cell of it.
int int_field(const std::string& where, const json& record, const char* name) {
  const json& value = field(where, record, name);
  const bool fits = value.is_number_unsigned()
                        ? value.get<std::uint64_t>() <=
                              static_cast<std::uint64_t>(std::numeric_limits<int>::max())
                        : value.is_number_integer() &&
                              value.get<std::int64_t>() >= std::numeric_limits<int>::min() &&
                              value.get<std::int64_t>() <= std::numeric_limits<int>::max();
  if (!fits) throw Error(where + ": '" + name + "' must be an integer in int range");
  return value.get<int>();
}

}  // namespace

std::string cell_key(const std::string& model, bool halting, double budget, int width,
                     int depth) {
  return json{model, halting, budget, width, depth}.dump();
}

std::string entropy_key(const std::string& run) { return "entropy:" + run; }

std::vector<SweepRecord> read_sweep_records(const std::string& path,
                                            const std::string& plan_hash) {
  std::vector<std::size_t> lines;
  std::vector<json> parsed = read_jsonl(path, nullptr, &lines);
  const auto is_context = [](const json& record) {
    return record.is_object() && record.value("type", json()) == "context";
  };
  if (parsed.empty() || !is_context(parsed.front())) {
    throw Error(path + ": no context record on its first line; not a sweep's results "
                       "(pass --overwrite to start over)");
  }
  if (parsed.front().value("plan_hash", json()) != plan_hash) {
    throw Error(path + ": written by a different sweep config (its 'sweep' record "
                       "differs); pass --overwrite to start over, or choose another output");
  }

  std::vector<SweepRecord> records;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const std::string at = path + ":" + std::to_string(lines[i]);
    json& record = parsed[i];
    if (!record.is_object()) throw Error(at + ": record must be a JSON object");
    SweepRecord checked;
    // A record without a type is of no kind a resume looks for, as before.
    if (record.contains("type")) checked.type = text_field(at, record, "type");
    const std::string where = at + ": " + checked.type + " record";
    if (checked.type == "cell") {
      const json& halting = field(where, record, "halting");
      const json& budget = field(where, record, "budget");
      if (!halting.is_boolean()) throw Error(where + ": 'halting' must be true or false");
      if (!budget.is_number() || !std::isfinite(budget.get<double>())) {
        throw Error(where + ": 'budget' must be a finite number");
      }
      checked.key = cell_key(text_field(where, record, "model"), halting.get<bool>(),
                             budget.get<double>(), int_field(where, record, "width"),
                             int_field(where, record, "depth"));
      checked.source_run = text_field(where, record, "source_run");
    } else if (checked.type == "entropy") {
      checked.source_run = text_field(where, record, "source_run");
      checked.key = entropy_key(checked.source_run);
    } else if (record.contains("source_run") && record["source_run"].is_string()) {
      // Other kinds (policy replays) name their run too; a shard merge copies its raw file.
      checked.source_run = record["source_run"].get<std::string>();
    }
    checked.json = std::move(record);
    records.push_back(std::move(checked));
  }
  return records;
}

}  // namespace gram::sweep
