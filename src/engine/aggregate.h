#pragma once
// Picking one answer from a puzzle's trajectories (science.md s4).
//
//   majority       plurality answer; ties -> larger summed value score, then smaller hash
//   best_of_n      highest value score (LPRM); ties -> smaller hash
//   weighted_vote  answer with the largest summed value score; ties -> more votes, then smaller hash
//   oracle         any valid answer (needs the exact verifier): an upper bound, not a method
//
// Each rule returns the index of a trajectory that carries the chosen answer (the first one in
// trajectory order), so the caller can report its board and correctness.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gram::engine {

struct Candidate {
  std::uint64_t answer_hash = 0;
  float value = 0.0f;  // LPRM score in [0, 1]
  bool valid = false;  // exact verifier's verdict
};

// In the order of util/vocabulary.h's aggregator_names(), which names them.
enum class Aggregator { kMajority, kBestOfN, kWeightedVote, kOracle };

Aggregator parse_aggregator(const std::string& name);  // throws gram::Error for unknown names
std::string aggregator_name(Aggregator aggregator);
// True for rules that read the value score (the model needs a value head).
bool needs_value_head(Aggregator aggregator);

struct Choice {
  int trajectory = -1;        // representative trajectory of the chosen answer
  std::uint64_t answer_hash = 0;
  int votes = 0;              // trajectories that gave this answer
};

Choice aggregate(Aggregator aggregator, std::span<const Candidate> candidates);

}  // namespace gram::engine
