// The records' JSON: the fields and number types writers put on file, and the readers' checks.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "records/cell_record.h"
#include "records/context_record.h"
#include "records/policy_record.h"
#include "records/record_keys.h"
#include "records/run_record.h"
#include "records/summary_record.h"
#include "util/error.h"

namespace {

using nlohmann::json;
using namespace gram::records;

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const gram::Error& error) {
    return error.what();
  }
  return "";
}

std::vector<ContextModel> one_model() {
  ContextModel model;
  model.name = "m";
  return {model};
}

TEST(RecordsTest, CellRoundTripsItsIdentityAndKeepsNumberTypes) {
  CellRecord cell;
  cell.model = "m";
  cell.strategies = {"width"};
  cell.budget = 8;
  cell.width = 2;
  cell.depth = 4;
  cell.source_run = "r";
  cell.figures = {{"puzzles", 3}};
  const json record = to_json(cell);
  EXPECT_EQ(record.dump(),
            R"({"budget":8.0,"depth":4,"derived":false,"halting":false,"model":"m",)"
            R"("puzzles":3,"source_run":"r","strategies":["width"],"timing":null,"type":"cell",)"
            R"("width":2})");
  const CellRecord read = cell_record_from_json(record, "f:2: cell", one_model());
  EXPECT_EQ(read.model, "m");
  EXPECT_EQ(read.budget, 8.0);
  EXPECT_EQ(read.width, 2);
  EXPECT_EQ(read.source_run, "r");
  EXPECT_EQ(record_key_from_json(record, "f:2").key, cell_key("m", false, 8.0, 2, 4));
}

TEST(RecordsTest, ReadersNameTheFileLineAndField) {
  json record = to_json(CellRecord{});
  record["model"] = "other";
  EXPECT_EQ(error_of([&] { cell_record_from_json(record, "f:2: cell", one_model()); }),
            "f:2: cell: model 'other' is not in the context record's models");
  record["model"] = "m";
  record["strategies"] = {"wide"};
  EXPECT_EQ(error_of([&] { cell_record_from_json(record, "f:2: cell", one_model()); }),
            "f:2: cell: unknown strategy 'wide' (expected width, depth or grid)");
  record.erase("width");
  EXPECT_EQ(error_of([&] { record_key_from_json(record, "f:2"); }),
            "f:2: cell record: missing 'width'");
  json policy = to_json(PolicyRecord{});
  policy["model"] = "m";
  policy["settings"] = json::object();
  EXPECT_EQ(error_of([&] { policy_record_from_json(policy, "f:3: policy", one_model()); }),
            "f:3: policy: unknown policy '' (expected beta, agreement, verifier, oracle or "
            "allocate)");
}

TEST(RecordsTest, PolicyAndSearchRecordsNameTheirKind) {
  PolicyRecord search;
  search.search = true;
  search.name = "smc";
  search.source_run = "s";
  search.timing = json{{"wall_s", 1.0}};
  const json record = to_json(search);
  EXPECT_EQ(record.at("type"), "search");
  EXPECT_EQ(record.at("search"), "smc");
  EXPECT_FALSE(record.contains("policy"));
  EXPECT_EQ(search_record_key(record), search_key("s"));
  EXPECT_EQ(policy_record_key(record), "");
}

TEST(RecordsTest, ContextRecordWritesOnlyThePartsACommandFilled) {
  ContextRecord context;
  context.common.host = "h";
  const json common = to_json(context);
  EXPECT_FALSE(common.contains("type"));
  EXPECT_FALSE(common.contains("world_size"));
  EXPECT_TRUE(common.contains("environment"));
  context.type = "context";
  context.sweep.emplace().puzzles = 40;
  context.sweep->models = one_model();
  const json sweep = to_json(context);
  EXPECT_TRUE(sweep.at("puzzles").is_number_unsigned());
  EXPECT_TRUE(sweep.at("models")[0].at("training_flops").is_null());
  EXPECT_TRUE(sweep.at("models")[0].at("verifier").is_null());
}

TEST(RecordsTest, SummaryWritesNullWithoutAValueHead) {
  SummaryRecord summary;
  const json record = to_json(summary);
  EXPECT_TRUE(record.at("value_auroc_within").is_null());
  EXPECT_TRUE(record.at("accuracy").is_object());
  EXPECT_TRUE(record.at("wall_s").is_number_float());
  EXPECT_FALSE(record.contains("search"));
  EXPECT_EQ(to_json(RunHeader{"r", "m", true, 2, 3, 7}).dump(),
            R"({"depth":3,"halting":true,"model":"m","name":"r","seed":7,"type":"run","width":2})");
}

}  // namespace
