// The rank-side helpers of a distributed run: every item on exactly one rank, results that
// cross between ranks bit for bit, and a one-rank run that is the plain runner.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "common/error_message.h"
#include "engine/distributed_run.h"

namespace gram::engine {
namespace {

TEST(RankShare, EveryItemOnExactlyOneRankForAnyWorldSize) {
  const std::vector<WorkItem> items = make_work(0, 7, 3);  // 21 items
  for (int size : {1, 2, 3, 4, 5, 21, 30}) {
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    std::size_t total = 0;
    for (int rank = 0; rank < size; ++rank) {
      const auto share = rank_share(items, rank, size);
      EXPECT_LE(share.size(), items.size() / size + 1) << "balanced, size " << size;
      for (const WorkItem& item : share) seen.insert({item.puzzle, item.trajectory});
      total += share.size();
    }
    EXPECT_EQ(total, items.size()) << size;
    EXPECT_EQ(seen.size(), items.size()) << size;
  }
}

TEST(ResultMessages, RoundTripIsExact) {
  std::vector<TrajectoryResult> results(3);
  results[0] = {4, 1, {1, 2, 3, 4}, 0xdeadbeefcafef00dull, true, 0.1f, 7, true, 84, 0.5, 1.25,
                {{1, true, -0.0f}, {2, false, std::numeric_limits<float>::denorm_min()}}};
  results[1].puzzle = 9;
  results[1].value = std::nextafter(1.0f, 2.0f);
  results[2].answer = {0};
  results[2].history = {{~0ull, true, 3.5f}};
  const std::string bytes = serialize_results(results);
  const std::vector<TrajectoryResult> back = deserialize_results(bytes);
  ASSERT_EQ(back.size(), results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    // Serialising again gives the same bytes: every field survived, bit for bit.
    EXPECT_EQ(serialize_results({&back[i], 1}), serialize_results({&results[i], 1})) << i;
  }
  EXPECT_EQ(back[0].answer, results[0].answer);
  EXPECT_EQ(back[0].history.size(), 2u);
  EXPECT_TRUE(std::signbit(back[0].history[0].value));
  EXPECT_EQ(back[1].value, results[1].value);
  EXPECT_TRUE(deserialize_results(serialize_results({})).empty());
}

TEST(ResultMessages, TruncatedOrForeignMessagesAreRefused) {
  std::vector<TrajectoryResult> results(2);
  const std::string bytes = serialize_results(results);
  using testing_support::error_message;
  EXPECT_NE(error_message([&] { deserialize_results(bytes.substr(0, bytes.size() - 3)); })
                .find("truncated"),
            std::string::npos);
  EXPECT_NE(error_message([] { deserialize_results("nonsense, not a result message"); })
                .find("another format"),
            std::string::npos);
}

}  // namespace
}  // namespace gram::engine
