// Aggregation rules on hand-built cases, ties included (science.md s4).
#include <gtest/gtest.h>

#include "engine/aggregate.h"
#include "util/error.h"

namespace gram::engine {
namespace {

TEST(Aggregate, MajorityTakesPlurality) {
  std::vector<Candidate> c = {{7, 0.1f, false}, {3, 0.9f, true}, {7, 0.2f, false}};
  const Choice choice = aggregate(Aggregator::kMajority, c);
  EXPECT_EQ(choice.answer_hash, 7u);
  EXPECT_EQ(choice.votes, 2);
  EXPECT_EQ(choice.trajectory, 0);
}

TEST(Aggregate, MajorityTieBrokenBySummedValueThenSmallerHash) {
  std::vector<Candidate> by_value = {{5, 0.1f, false}, {9, 0.8f, false}};
  EXPECT_EQ(aggregate(Aggregator::kMajority, by_value).answer_hash, 9u);
  std::vector<Candidate> by_hash = {{9, 0.5f, false}, {5, 0.5f, false}};
  EXPECT_EQ(aggregate(Aggregator::kMajority, by_hash).answer_hash, 5u);
  EXPECT_EQ(aggregate(Aggregator::kMajority, by_hash).trajectory, 1);
}

TEST(Aggregate, BestOfNTakesHighestSingleScore) {
  std::vector<Candidate> c = {{1, 0.6f, false}, {1, 0.6f, false}, {2, 0.7f, false}};
  EXPECT_EQ(aggregate(Aggregator::kBestOfN, c).answer_hash, 2u);
  std::vector<Candidate> tie = {{8, 0.7f, false}, {4, 0.7f, false}};
  EXPECT_EQ(aggregate(Aggregator::kBestOfN, tie).answer_hash, 4u);
}

TEST(Aggregate, WeightedVoteSumsScores) {
  std::vector<Candidate> c = {{1, 0.3f, false}, {1, 0.3f, false}, {2, 0.7f, false}};
  EXPECT_EQ(aggregate(Aggregator::kWeightedVote, c).answer_hash, 2u);
  std::vector<Candidate> tie = {{1, 0.5f, false}, {1, 0.0f, false}, {2, 0.5f, false}};
  EXPECT_EQ(aggregate(Aggregator::kWeightedVote, tie).answer_hash, 1u) << "equal sums: more votes";
}

TEST(Aggregate, OracleFindsAnyValidAnswer) {
  std::vector<Candidate> c = {{1, 0.9f, false}, {1, 0.9f, false}, {2, 0.1f, true}};
  const Choice choice = aggregate(Aggregator::kOracle, c);
  EXPECT_EQ(choice.answer_hash, 2u);
  EXPECT_EQ(choice.trajectory, 2);
  std::vector<Candidate> none = {{1, 0.9f, false}, {2, 0.1f, false}, {2, 0.1f, false}};
  EXPECT_EQ(aggregate(Aggregator::kOracle, none).answer_hash, 2u) << "falls back to majority";
}

TEST(Aggregate, NamesRoundTripAndUnknownIsAnError) {
  for (const char* name : {"majority", "best_of_n", "weighted_vote", "oracle"}) {
    EXPECT_EQ(aggregator_name(parse_aggregator(name)), name);
  }
  EXPECT_THROW(parse_aggregator("vote"), Error);
  EXPECT_TRUE(needs_value_head(Aggregator::kBestOfN));
  EXPECT_FALSE(needs_value_head(Aggregator::kMajority));
}

}  // namespace
}  // namespace gram::engine
