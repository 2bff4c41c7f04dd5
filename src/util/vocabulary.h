#pragma once
// The names the engine's choices go by, one list per kind: the config tables accept them, the
// records carry them and the report orders its columns by them. The enums stay with their code
// (engine/aggregate.h, engine/stopping_rules.h); each parses and prints through these lists,
// in the enum's order, so a new choice is named in one place.
#include <string>
#include <vector>

namespace gram {

// engine::Aggregator, in its order; also the report's column order.
inline const std::vector<std::string>& aggregator_names() {
  static const std::vector<std::string> names = {"majority", "best_of_n", "weighted_vote",
                                                 "oracle"};
  return names;
}

// The adaptive-width policies of `gram run --policy` and a sweep's `policies` (engine's
// StoppingRule for the first four, then the per-puzzle allocation); "none" is run's default.
inline const std::vector<std::string>& policy_names() {
  static const std::vector<std::string> names = {"beta", "agreement", "verifier", "oracle",
                                                 "allocate"};
  return names;
}

// The latent searches (engine::SearchKind, in its order).
inline const std::vector<std::string>& search_names() {
  static const std::vector<std::string> names = {"smc", "beam"};
  return names;
}

// `gram run`'s choices whose default is none: "none", then the names above in their order, so
// that the enum's value is the name's index.
enum class AdaptiveChoice { kNone, kBeta, kAgreement, kVerifier, kOracle, kAllocate };
enum class SearchChoice { kNone, kSmc, kBeam };

inline const std::vector<std::string>& adaptive_choice_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all = {"none"};
    all.insert(all.end(), policy_names().begin(), policy_names().end());
    return all;
  }();
  return names;
}
inline const std::vector<std::string>& search_choice_names() {
  static const std::vector<std::string> names = {"none", search_names()[0], search_names()[1]};
  return names;
}
inline const std::string& name_of(AdaptiveChoice choice) {
  return adaptive_choice_names()[static_cast<std::size_t>(choice)];
}
inline const std::string& name_of(SearchChoice choice) {
  return search_choice_names()[static_cast<std::size_t>(choice)];
}

// How a sweep spends a budget: depth alone (N = 1), width at a fixed depth, or every N x S;
// also the report's order.
inline const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names = {"depth", "width", "grid"};
  return names;
}

// "a, b, c or d": the names as an error message lists them.
inline std::string spoken_list(const std::vector<std::string>& names, std::size_t count,
                               const std::string& last_joint) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    text += (i == 0 ? "" : i + 1 == count ? last_joint : ", ") + names[i];
  }
  return text;
}

}  // namespace gram
