// Every metric of analysis/metrics.h against cases worked out by hand.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analysis/metrics.h"
#include "common/error_message.h"

namespace gram::analysis {
namespace {

using testing_support::error_message;

TEST(PassAtK, MatchesTheBinomialRatio) {
  // 1 - C(3,2)/C(5,2) = 1 - 3/10.
  EXPECT_NEAR(pass_at_k(5, 2, 2), 0.7, 1e-12);
  // 1 - C(7,5)/C(10,5) = 1 - 21/252.
  EXPECT_NEAR(pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-12);
  // k = 1 is the fraction correct.
  EXPECT_NEAR(pass_at_k(5, 2, 1), 0.4, 1e-12);
  // k = n is "any correct".
  EXPECT_DOUBLE_EQ(pass_at_k(5, 1, 5), 1.0);
  EXPECT_DOUBLE_EQ(pass_at_k(5, 0, 5), 0.0);
}

TEST(PassAtK, IsOneWhenFewerWrongThanK) {
  EXPECT_DOUBLE_EQ(pass_at_k(5, 4, 2), 1.0);
  EXPECT_DOUBLE_EQ(pass_at_k(4, 4, 1), 1.0);
}

TEST(PassAtK, RejectsImpossibleCounts) {
  EXPECT_NE(error_message([] { pass_at_k(5, 6, 1); }).find("pass@k"), std::string::npos);
  EXPECT_NE(error_message([] { pass_at_k(5, 2, 0); }).find("k=0"), std::string::npos);
  EXPECT_NE(error_message([] { pass_at_k(5, 2, 6); }).find("k=6"), std::string::npos);
}

TEST(WilsonInterval, EightOfTen) {
  const Interval interval = wilson_interval(8, 10);
  EXPECT_NEAR(interval.low, 0.4902, 5e-5);
  EXPECT_NEAR(interval.high, 0.9433, 5e-5);
}

TEST(WilsonInterval, EndsAtZeroAndOne) {
  // p = 0: [0, z^2 / (n + z^2)] with z = 1.959964.
  const double z2 = 1.959963984540054 * 1.959963984540054;
  const Interval none = wilson_interval(0, 10);
  EXPECT_EQ(none.low, 0.0);  // exactly, not a rounding residue
  EXPECT_NEAR(none.high, z2 / (10.0 + z2), 1e-12);
  const Interval all = wilson_interval(10, 10);
  EXPECT_NEAR(all.low, 10.0 / (10.0 + z2), 1e-12);
  EXPECT_EQ(all.high, 1.0);
}

TEST(WilsonInterval, NoTrialsIsTheWholeRange) {
  const Interval interval = wilson_interval(0, 0);
  EXPECT_EQ(interval.low, 0.0);
  EXPECT_EQ(interval.high, 1.0);
}

TEST(WilsonInterval, OtherConfidence) {
  // 90%: z = 1.644854; 8/10 by the same formula.
  const double z = 1.6448536269514722, n = 10, p = 0.8;
  const double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
  const double half = z / (1 + z * z / n) * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  const Interval interval = wilson_interval(8, 10, 0.90);
  EXPECT_NEAR(interval.low, centre - half, 1e-12);
  EXPECT_NEAR(interval.high, centre + half, 1e-12);
}

TEST(WilsonInterval, RejectsBadCounts) {
  EXPECT_NE(error_message([] { wilson_interval(11, 10); }).find("11/10"), std::string::npos);
  EXPECT_NE(error_message([] { wilson_interval(1, 10, 1.5); }).find("confidence"),
            std::string::npos);
}

std::vector<bool> outcomes(const std::string& bits) {
  std::vector<bool> result;
  for (char bit : bits) result.push_back(bit == '1');
  return result;
}

McNemarResult mcnemar_of(const std::string& a, const std::string& b) {
  const std::vector<bool> left = outcomes(a), right = outcomes(b);
  // std::vector<bool> has no contiguous storage; copy into arrays of bool.
  std::unique_ptr<bool[]> x(new bool[left.size()]), y(new bool[right.size()]);
  for (std::size_t i = 0; i < left.size(); ++i) x[i] = left[i];
  for (std::size_t i = 0; i < right.size(); ++i) y[i] = right[i];
  return mcnemar({x.get(), left.size()}, {y.get(), right.size()});
}

TEST(McNemar, ExactPForOneAgainstSix) {
  // b = 1, c = 6: 2 * P(X <= 1 | n = 7, 1/2) = 2 * 8/128.
  const McNemarResult result = mcnemar_of("1000000" "11", "0111111" "11");
  EXPECT_EQ(result.only_a, 1);
  EXPECT_EQ(result.only_b, 6);
  EXPECT_NEAR(result.p_value, 0.125, 1e-12);
}

TEST(McNemar, OtherHandCases) {
  // b = 0, c = 5: 2 / 32.
  EXPECT_NEAR(mcnemar_of("00000", "11111").p_value, 0.0625, 1e-12);
  // b = 2, c = 8: 2 * (1 + 10 + 45) / 1024.
  EXPECT_NEAR(mcnemar_of("1100000000", "0011111111").p_value, 112.0 / 1024.0, 1e-12);
  // Balanced discordance caps at 1.
  EXPECT_DOUBLE_EQ(mcnemar_of("111000", "000111").p_value, 1.0);
}

TEST(McNemar, NoDiscordantPairsGivesOne) {
  const McNemarResult result = mcnemar_of("1010", "1010");
  EXPECT_EQ(result.only_a, 0);
  EXPECT_EQ(result.only_b, 0);
  EXPECT_EQ(result.p_value, 1.0);
}

TEST(McNemar, RejectsDifferentPuzzleCounts) {
  EXPECT_NE(error_message([] { mcnemar_of("101", "10"); }).find("3 and 2"), std::string::npos);
}

TEST(AnswerEntropy, HandCases) {
  const std::array<std::uint64_t, 4> two_even{7, 7, 9, 9};
  EXPECT_NEAR(answer_entropy_bits(two_even), 1.0, 1e-12);
  const std::array<std::uint64_t, 4> one{5, 5, 5, 5};
  EXPECT_EQ(answer_entropy_bits(one), 0.0);
  const std::array<std::uint64_t, 4> four{1, 2, 3, 4};
  EXPECT_NEAR(answer_entropy_bits(four), 2.0, 1e-12);
  // -(3/4 log2 3/4 + 1/4 log2 1/4)
  const std::array<std::uint64_t, 4> skewed{1, 1, 1, 2};
  EXPECT_NEAR(answer_entropy_bits(skewed), 0.8112781244591328, 1e-12);
  EXPECT_EQ(answer_entropy_bits({}), 0.0);
}

TEST(Percentile, MatchesNumpyLinear) {
  // numpy.percentile([1, 2, 3, 4], q) for q = 0, 50, 90, 100.
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 0), 1.0);
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 50), 2.5);
  EXPECT_NEAR(percentile({4, 1, 3, 2}, 90), 3.7, 1e-12);
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 100), 4.0);
  // numpy.percentile([15, 20, 35, 40, 50], 40) == 29.0
  EXPECT_NEAR(percentile({15, 20, 35, 40, 50}, 40), 29.0, 1e-12);
  // numpy.percentile(range(1, 101), 99) == 99.01
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_NEAR(percentile(hundred, 99), 99.01, 1e-9);
  EXPECT_DOUBLE_EQ(percentile({3.5}, 90), 3.5);
}

TEST(Percentile, RejectsEmptyAndOutOfRange) {
  EXPECT_NE(error_message([] { percentile({}, 50); }).find("empty"), std::string::npos);
  EXPECT_NE(error_message([] { percentile({1.0}, 101); }).find("[0, 100]"), std::string::npos);
}

TEST(Coverage, CountsDistinctValidAnswers) {
  const std::array<std::uint64_t, 3> found{11, 11, 12};
  EXPECT_DOUBLE_EQ(coverage(found, 4), 0.5);
  EXPECT_DOUBLE_EQ(coverage(found, 2), 1.0);
  EXPECT_DOUBLE_EQ(coverage({}, 92), 0.0);
  EXPECT_DOUBLE_EQ(coverage(found, 0), 0.0);
}

// Positives {0.9, 0.6, 0.4}, negatives {0.5, 0.4}: pairs won 0.9>0.5, 0.9>0.4, 0.6>0.5,
// 0.6>0.4, 0.4=0.4 (half), 0.4<0.5: 4.5 of 6 = 0.75.
TEST(Auroc, HandCaseWithATie) {
  const std::vector<double> positive = {0.9, 0.6, 0.4}, negative = {0.5, 0.4};
  EXPECT_DOUBLE_EQ(auroc(positive, negative), 0.75);
  EXPECT_DOUBLE_EQ(auroc(std::vector<double>{1.0}, std::vector<double>{0.0}), 1.0);
  EXPECT_DOUBLE_EQ(auroc(std::vector<double>{0.3}, std::vector<double>{0.3}), 0.5);
  EXPECT_THROW(auroc(std::vector<double>{}, negative), Error);
}

}  // namespace
}  // namespace gram::analysis
