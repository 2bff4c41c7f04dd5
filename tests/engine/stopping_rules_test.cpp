// The stopping rules of adaptive width on hand-worked cases.
#include <gtest/gtest.h>

#include <vector>

#include "engine/stopping_rules.h"
#include "util/error.h"

namespace {

using gram::engine::Candidate;
using gram::engine::StoppingRule;
using gram::engine::StoppingSettings;

std::vector<Candidate> answers(std::initializer_list<std::uint64_t> hashes) {
  std::vector<Candidate> result;
  for (std::uint64_t hash : hashes) result.push_back({hash, 0.0f, false});
  return result;
}

TEST(LeaderProbability, MatchesTheBetaPosteriorByHand) {
  // Beta(a + 1, b + 1) with b = 0: P(p > 1/2) = 1 - (1/2)^(a + 1).
  EXPECT_DOUBLE_EQ(gram::engine::leader_probability(0, 0), 0.5);
  EXPECT_NEAR(gram::engine::leader_probability(3, 0), 1.0 - 1.0 / 16.0, 1e-12);
  EXPECT_NEAR(gram::engine::leader_probability(4, 0), 1.0 - 1.0 / 32.0, 1e-12);
  // Beta(3, 2): P(p > 1/2) = 11/16 (from the Bernstein form: sum_{k>=3} C(4,k) / 16).
  EXPECT_NEAR(gram::engine::leader_probability(2, 1), 11.0 / 16.0, 1e-12);
  // A tie is a coin toss whatever the counts.
  EXPECT_NEAR(gram::engine::leader_probability(5, 5), 0.5, 1e-12);
}

TEST(StoppingRules, BetaStopsOnceTheLeaderIsClearEnough) {
  const StoppingSettings settings{StoppingRule::kBeta, 0.95, 4};
  EXPECT_FALSE(gram::engine::has_settled(answers({7, 7, 7}), settings));     // 15/16 < 0.95
  EXPECT_TRUE(gram::engine::has_settled(answers({7, 7, 7, 7}), settings));   // 31/32 >= 0.95
  EXPECT_FALSE(gram::engine::has_settled(answers({7, 7, 7, 7, 9}), settings));  // Beta(5, 2): 0.89
  EXPECT_FALSE(gram::engine::has_settled({}, settings));
}

TEST(StoppingRules, AgreementNeedsAFullWindowOfOneAnswer) {
  const StoppingSettings settings{StoppingRule::kAgreement, 0.0, 3};
  EXPECT_FALSE(gram::engine::has_settled(answers({1, 1}), settings));
  EXPECT_TRUE(gram::engine::has_settled(answers({2, 1, 1, 1}), settings));
  EXPECT_FALSE(gram::engine::has_settled(answers({1, 1, 1, 2}), settings));
}

TEST(StoppingRules, VerifierAndOracleStopOnAnAcceptedTrajectory) {
  std::vector<Candidate> found = {{1, 0.4f, false}, {2, 0.93f, true}};
  EXPECT_TRUE(gram::engine::has_settled(found, {StoppingRule::kVerifier, 0.9, 0}));
  EXPECT_FALSE(gram::engine::has_settled(found, {StoppingRule::kVerifier, 0.95, 0}));
  EXPECT_TRUE(gram::engine::has_settled(found, {StoppingRule::kOracle, 0.0, 0}));
  found[1].valid = false;
  EXPECT_FALSE(gram::engine::has_settled(found, {StoppingRule::kOracle, 0.0, 0}));
}

TEST(StoppingRules, NamesRoundTripAndUnknownNamesAreErrors) {
  for (const char* name : {"beta", "agreement", "verifier", "oracle"}) {
    EXPECT_EQ(gram::engine::stopping_rule_name(gram::engine::parse_stopping_rule(name)), name);
  }
  EXPECT_THROW(gram::engine::parse_stopping_rule("patience"), gram::Error);
}

}  // namespace
