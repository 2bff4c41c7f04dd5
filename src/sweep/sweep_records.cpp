#include "sweep/sweep_records.h"

#include <cstddef>

#include "util/error.h"
#include "util/jsonl_writer.h"

namespace gram::sweep {

using json = nlohmann::json;

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

  std::vector<SweepRecord> read;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const std::string at = path + ":" + std::to_string(lines[i]);
    json& record = parsed[i];
    if (!record.is_object()) throw Error(at + ": record must be a JSON object");
    records::RecordKey key = records::record_key_from_json(record, at);
    SweepRecord checked;
    checked.type = std::move(key.type);
    checked.key = std::move(key.key);
    checked.source_run = std::move(key.source_run);
    checked.json = std::move(record);
    read.push_back(std::move(checked));
  }
  return read;
}

}  // namespace gram::sweep
