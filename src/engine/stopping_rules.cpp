#include "engine/stopping_rules.h"

#include <algorithm>
#include <map>
#include <vector>

#include <boost/math/special_functions/beta.hpp>

#include "util/error.h"
#include "util/vocabulary.h"

namespace gram::engine {

// The enum's values are the places of their names among the first four of policy_names().
constexpr std::size_t kStoppingRules = 4;

StoppingRule parse_stopping_rule(const std::string& name) {
  const auto& names = policy_names();
  const auto found = std::find(names.begin(), names.begin() + kStoppingRules, name);
  if (found == names.begin() + kStoppingRules) {
    throw Error("unknown stopping rule '" + name + "' (known: " +
                spoken_list(names, kStoppingRules, ", ") + ")");
  }
  return static_cast<StoppingRule>(found - names.begin());
}

std::string stopping_rule_name(StoppingRule rule) {
  return policy_names().at(static_cast<std::size_t>(rule));
}

double leader_probability(int leader_votes, int runner_up_votes) {
  GRAM_ASSERT(leader_votes >= 0 && runner_up_votes >= 0, "vote counts are not negative");
  // P(p > 1/2) for p ~ Beta(a, b) is 1 - I_{1/2}(a, b), I the regularised incomplete beta.
  return 1.0 - boost::math::ibeta(leader_votes + 1.0, runner_up_votes + 1.0, 0.5);
}

bool has_settled(std::span<const Candidate> answers, const StoppingSettings& settings) {
  if (answers.empty()) return false;
  switch (settings.rule) {
    case StoppingRule::kBeta: {
      std::map<std::uint64_t, int> votes;
      for (const Candidate& answer : answers) ++votes[answer.answer_hash];
      std::vector<int> counts;
      for (const auto& [hash, count] : votes) counts.push_back(count);
      std::sort(counts.rbegin(), counts.rend());
      const int runner_up = counts.size() > 1 ? counts[1] : 0;
      return leader_probability(counts[0], runner_up) >= settings.threshold;
    }
    case StoppingRule::kAgreement: {
      if (static_cast<int>(answers.size()) < settings.window) return false;
      const auto last = answers.last(static_cast<std::size_t>(settings.window));
      return std::all_of(last.begin(), last.end(), [&](const Candidate& answer) {
        return answer.answer_hash == last.front().answer_hash;
      });
    }
    case StoppingRule::kVerifier:
      return std::any_of(answers.begin(), answers.end(), [&](const Candidate& answer) {
        return answer.value >= settings.threshold;
      });
    case StoppingRule::kOracle:
      return std::any_of(answers.begin(), answers.end(),
                         [](const Candidate& answer) { return answer.valid; });
  }
  return false;
}

}  // namespace gram::engine
