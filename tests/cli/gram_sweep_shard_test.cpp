// `gram sweep --shard I/N`: the shares of a plan cover every run once, and a sweep without a
// shard on the same output merges them into the single-process result, running nothing.
#include <gtest/gtest.h>

#include <string>

#include "common/tiny_sweep_fixture.h"
#include "common/distributed_results.h"

namespace {

using namespace gram::testing;

using GramSweepShards = TinySweep;

TEST_F(GramSweepShards, SharesMergeIntoTheWholeSweep) {
  ASSERT_EQ(run(sweep("whole")).status, 0);
  int executed = 0;
  for (int share = 0; share < 3; ++share) {
    const Command part = run(sweep("sharded", "--shard " + std::to_string(share) + "/3"));
    ASSERT_EQ(part.status, 0) << part.output;
    const auto at = part.output.find(" runs executed");
    ASSERT_NE(at, std::string::npos) << part.output;
    executed += std::stoi(part.output.substr(part.output.rfind(' ', at - 1) + 1));
    EXPECT_EQ(complete_records(path("sharded") + "/shards/" + std::to_string(share) +
                               "-of-3/cells.jsonl").front()["shard"],
              std::to_string(share) + "/3");
  }
  EXPECT_EQ(executed, 8) << "every run of the plan in exactly one share";

  const Command merged = run(sweep("sharded"));
  ASSERT_EQ(merged.status, 0) << merged.output;
  EXPECT_NE(merged.output.find("0 runs executed"), std::string::npos) << merged.output;
  EXPECT_EQ(comparable_sweep(path("sharded")), comparable_sweep(path("whole")));
  EXPECT_EQ(raw_runs(path("sharded")), raw_runs(path("whole")));
}

TEST_F(GramSweepShards, AMissingShareIsRunByTheFinalPass) {
  ASSERT_EQ(run(sweep("whole")).status, 0);
  ASSERT_EQ(run(sweep("sharded", "--shard 1/2")).status, 0);
  const Command final_pass = run(sweep("sharded"));
  ASSERT_EQ(final_pass.status, 0) << final_pass.output;
  EXPECT_EQ(final_pass.output.find(" 0 runs executed"), std::string::npos) << final_pass.output;
  auto sorted = [](std::vector<nlohmann::json> records) {
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.dump() < b.dump(); });
    return records;
  };
  EXPECT_EQ(sorted(comparable_sweep(path("sharded"))), sorted(comparable_sweep(path("whole"))));
}

TEST_F(GramSweepShards, BadShareIsOneClearLine) {
  for (const std::string shard : {"3/3", "1", "a/2", "0/0"}) {
    const Command result = run(sweep("bad", "--shard " + shard));
    EXPECT_EQ(result.status, 1) << shard << "\n" << result.output;
    EXPECT_NE(result.output.find("'shard' must be I/N with 0 <= I < N"), std::string::npos)
        << result.output;
  }
}

}  // namespace
