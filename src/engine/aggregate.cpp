#include "engine/aggregate.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "util/error.h"
#include "util/vocabulary.h"

namespace gram::engine {
namespace {

struct Tally {
  int votes = 0;
  double value_sum = 0.0;
  int first_trajectory = -1;
  bool valid = false;
};

// Answers in hash order, so iteration (and with it every tie rule) is deterministic.
std::map<std::uint64_t, Tally> tally(std::span<const Candidate> candidates) {
  std::map<std::uint64_t, Tally> tallies;
  for (int index = 0; index < static_cast<int>(candidates.size()); ++index) {
    Tally& entry = tallies[candidates[index].answer_hash];
    if (entry.first_trajectory < 0) entry.first_trajectory = index;
    entry.votes += 1;
    entry.value_sum += candidates[index].value;
    entry.valid = entry.valid || candidates[index].valid;
  }
  return tallies;
}

Choice choose(const std::map<std::uint64_t, Tally>& tallies, auto better) {
  const std::pair<const std::uint64_t, Tally>* best = nullptr;
  for (const auto& entry : tallies) {
    // Strictly better only: equal entries keep the earlier one, i.e. the smaller hash.
    if (best == nullptr || better(entry.second, best->second)) best = &entry;
  }
  Choice choice;
  if (best != nullptr) {
    choice.trajectory = best->second.first_trajectory;
    choice.answer_hash = best->first;
    choice.votes = best->second.votes;
  }
  return choice;
}

}  // namespace

// The enum's values are the places of their names in aggregator_names().
Aggregator parse_aggregator(const std::string& name) {
  const auto& names = aggregator_names();
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) {
    throw Error("aggregator '" + name + "': unknown (expected " +
                spoken_list(names, names.size(), " or ") + ")");
  }
  return static_cast<Aggregator>(found - names.begin());
}

std::string aggregator_name(Aggregator aggregator) {
  return aggregator_names().at(static_cast<std::size_t>(aggregator));
}

bool needs_value_head(Aggregator aggregator) {
  return aggregator == Aggregator::kBestOfN || aggregator == Aggregator::kWeightedVote;
}

Choice aggregate(Aggregator aggregator, std::span<const Candidate> candidates) {
  GRAM_ASSERT(!candidates.empty(), "aggregating an empty set of trajectories");
  const auto tallies = tally(candidates);
  switch (aggregator) {
    case Aggregator::kMajority:
      return choose(tallies, [](const Tally& a, const Tally& b) {
        return std::tie(a.votes, a.value_sum) > std::tie(b.votes, b.value_sum);
      });
    case Aggregator::kWeightedVote:
      return choose(tallies, [](const Tally& a, const Tally& b) {
        return std::tie(a.value_sum, a.votes) > std::tie(b.value_sum, b.votes);
      });
    case Aggregator::kBestOfN: {
      // The best single trajectory; among equal scores the smaller hash (map order) wins.
      std::map<std::uint64_t, float> best_value;
      for (const auto& candidate : candidates) {
        auto [it, inserted] = best_value.emplace(candidate.answer_hash, candidate.value);
        if (!inserted && candidate.value > it->second) it->second = candidate.value;
      }
      Choice choice = choose(tallies, [&](const Tally&, const Tally&) { return false; });
      float top = best_value.at(choice.answer_hash);
      for (const auto& [hash, value] : best_value) {
        if (value > top) {
          top = value;
          choice.answer_hash = hash;
        }
      }
      const Tally& winner = tallies.at(choice.answer_hash);
      choice.trajectory = winner.first_trajectory;
      choice.votes = winner.votes;
      return choice;
    }
    case Aggregator::kOracle: {
      // Any valid answer: the first valid trajectory. With none valid, the oracle still names
      // the majority answer so the record has a board, and it counts as wrong.
      for (int index = 0; index < static_cast<int>(candidates.size()); ++index) {
        if (candidates[index].valid) {
          const Tally& entry = tallies.at(candidates[index].answer_hash);
          return Choice{index, candidates[index].answer_hash, entry.votes};
        }
      }
      return aggregate(Aggregator::kMajority, candidates);
    }
  }
  return {};
}

}  // namespace gram::engine
