#pragma once
// When has a puzzle's answer settled? The stopping rules of adaptive width (science.md s4):
// sample a puzzle's trajectories in rounds and stop as soon as more would not change the
// chosen answer with high probability, so the budget goes to the puzzles still in doubt.
//
//   beta       Adaptive-Consistency: the leader's share p among the two most voted answers has
//              posterior Beta(leader + 1, runner_up + 1); stop when P(p > 1/2) >= threshold.
//   agreement  Early-Stopping Self-Consistency: the last `window` answers are all the same.
//   verifier   a trajectory's value score (LPRM) reached `threshold`.
//   oracle     a trajectory's answer is valid (the exact verifier; an upper bound, not a method).
//
// Each rule reads the puzzle's answers so far in trajectory order, so a decision depends only
// on which trajectories ran, never on batches or ranks.
#include <cstdint>
#include <span>
#include <string>

#include "engine/aggregate.h"

namespace gram::engine {

// In the order of util/vocabulary.h's policy_names(), which names them.
enum class StoppingRule { kBeta, kAgreement, kVerifier, kOracle };

struct StoppingSettings {
  StoppingRule rule = StoppingRule::kBeta;
  double threshold = 0.95;  // beta: posterior probability; verifier: value score
  int window = 4;           // agreement: answers that must agree
};

StoppingRule parse_stopping_rule(const std::string& name);  // gram::Error for unknown names
std::string stopping_rule_name(StoppingRule rule);

// P(the leader's share exceeds the runner-up's) under the Beta posterior above.
double leader_probability(int leader_votes, int runner_up_votes);

// True when `answers` (this puzzle's trajectories so far, by trajectory index) have settled.
bool has_settled(std::span<const Candidate> answers, const StoppingSettings& settings);

}  // namespace gram::engine
