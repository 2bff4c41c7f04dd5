// The cell and entropy records (records/cell_record.h).
#include "records/cell_record.h"

#include <algorithm>
#include <set>

#include "records/record_fields.h"
#include "util/vocabulary.h"

namespace gram::records {

using nlohmann::json;

namespace {

constexpr const char* kStrategies = "strategies";
constexpr const char* kBudget = "budget";
constexpr const char* kDerived = "derived";
constexpr const char* kEntropyBits = "entropy_bits";

// The strategies a cell serves, each known, in strategy_names() order.
std::vector<std::string> strategies_from(const Fields& fields) {
  const json& value = fields.require(kStrategies);
  if (!value.is_array() || value.empty()) {
    fields.fail("field 'strategies' must be a non-empty array");
  }
  std::set<std::string> named;
  for (const json& entry : value) {
    if (!entry.is_string()) fields.fail("field 'strategies' must hold strings");
    const std::string strategy = entry.get<std::string>();
    const auto& known = strategy_names();
    if (std::find(known.begin(), known.end(), strategy) == known.end()) {
      fields.fail("unknown strategy '" + strategy + "' (expected width, depth or grid)");
    }
    named.insert(strategy);
  }
  std::vector<std::string> ordered;
  for (const std::string& strategy : strategy_names()) {
    if (named.count(strategy)) ordered.push_back(strategy);
  }
  return ordered;
}

}  // namespace

json to_json(const CellRecord& cell) {
  json record = {{field::kType, "cell"},          {field::kModel, cell.model},
                 {field::kHalting, cell.halting}, {kStrategies, cell.strategies},
                 {kBudget, cell.budget},          {field::kWidth, cell.width},
                 {field::kDepth, cell.depth},     {kDerived, cell.derived},
                 {field::kSourceRun, cell.source_run}};
  record.update(cell.figures);
  record[field::kTiming] = cell.timing;
  return record;
}

CellRecord cell_record_from_json(const json& record, const std::string& where,
                                 const std::vector<ContextModel>& models) {
  const Fields fields(record, where);
  CellRecord cell;
  cell.model = model_name_from(fields, models);
  cell.halting = fields.boolean(field::kHalting);
  cell.strategies = strategies_from(fields);
  cell.budget = fields.number(kBudget);
  if (!(cell.budget > 0)) fields.fail("field 'budget' must be > 0");
  cell.width = fields.integer(field::kWidth, 1);
  cell.depth = fields.integer(field::kDepth, 1);
  cell.derived = fields.boolean(kDerived);
  cell.source_run = fields.has(field::kSourceRun) ? fields.string(field::kSourceRun) : "";
  return cell;
}

json to_json(const EntropyRecord& entropy) {
  return {{field::kType, "entropy"},          {field::kModel, entropy.model},
          {field::kHalting, entropy.halting}, {field::kSourceRun, entropy.source_run},
          {field::kWidth, entropy.width},     {kEntropyBits, entropy.entropy_bits}};
}

EntropyRecord entropy_record_from_json(const json& record, const std::string& where,
                                       const std::vector<ContextModel>& models) {
  const Fields fields(record, where);
  EntropyRecord curve;
  curve.model = model_name_from(fields, models);
  curve.halting = fields.boolean(field::kHalting);
  curve.source_run = fields.has(field::kSourceRun) ? fields.string(field::kSourceRun) : "";
  curve.width = fields.integer(field::kWidth, 1);
  const json& bits = fields.require(kEntropyBits);
  if (!bits.is_array()) fields.fail("field 'entropy_bits' must be an array of numbers");
  for (const json& value : bits) {
    if (!value.is_number()) fields.fail("field 'entropy_bits' must be an array of numbers");
    curve.entropy_bits.push_back(value.get<double>());
  }
  return curve;
}

}  // namespace gram::records
