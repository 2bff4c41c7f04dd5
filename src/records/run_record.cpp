// The raw run files' header records (records/run_record.h).
#include "records/run_record.h"

#include "records/record_fields.h"

namespace gram::records {

nlohmann::json to_json(const RunHeader& run) {
  return {{field::kType, "run"},         {field::kName, run.name},   {field::kModel, run.model},
          {field::kHalting, run.halting}, {field::kWidth, run.width}, {field::kDepth, run.depth},
          {field::kSeed, run.seed}};
}

nlohmann::json to_json(const SearchRunHeader& search) {
  return {{field::kType, "search_run"},       {field::kName, search.name},
          {field::kModel, search.model},      {field::kSearch, search.search},
          {field::kSettings, search.settings}, {"rows", search.rows},
          {field::kDepth, search.depth},      {field::kSeed, search.seed}};
}

}  // namespace gram::records
