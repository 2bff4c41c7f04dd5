// The policy and search records (records/policy_record.h).
#include "records/policy_record.h"

#include <algorithm>

#include "records/record_fields.h"
#include "util/vocabulary.h"

namespace gram::records {

using nlohmann::json;

namespace {

constexpr const char* kPolicy = "policy";

}  // namespace

json to_json(const PolicyRecord& policy) {
  const char* kind = policy.search ? field::kSearch : kPolicy;
  json record = {{field::kType, kind},
                 {field::kModel, policy.model},
                 {field::kHalting, policy.halting},
                 {kind, policy.name},
                 {field::kSettings, policy.settings},
                 {field::kWidth, policy.width},
                 {field::kDepth, policy.depth},
                 {field::kSourceRun, policy.source_run}};
  record.update(policy.figures);
  if (policy.timing) record[field::kTiming] = *policy.timing;
  return record;
}

PolicyRecord policy_record_from_json(const json& record, const std::string& where,
                                     const std::vector<ContextModel>& models) {
  const Fields fields(record, where);
  PolicyRecord policy;
  policy.search = record.at(field::kType) == field::kSearch;
  policy.model = model_name_from(fields, models);
  policy.halting = fields.boolean(field::kHalting);
  if (policy.search) {
    policy.name = fields.string(field::kSearch);
    const std::vector<std::string>& searches = search_names();
    if (std::find(searches.begin(), searches.end(), policy.name) == searches.end()) {
      fields.fail("unknown search '" + policy.name + "' (expected " +
                  spoken_list(searches, searches.size(), " or ") + ")");
    }
  } else {
    policy.name = fields.string(kPolicy);
    const std::vector<std::string>& known = policy_names();
    if (std::find(known.begin(), known.end(), policy.name) == known.end()) {
      fields.fail("unknown policy '" + policy.name + "' (expected " +
                  spoken_list(known, known.size(), " or ") + ")");
    }
  }
  policy.settings = fields.object(field::kSettings);
  policy.width = fields.integer(field::kWidth, 1);
  policy.depth = fields.integer(field::kDepth, 1);
  policy.source_run = fields.string(field::kSourceRun);
  return policy;
}

}  // namespace gram::records
