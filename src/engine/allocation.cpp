#include "engine/allocation.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "util/error.h"

namespace gram::engine {

Difficulty estimate_difficulty(std::span<const Candidate> probe, bool use_values) {
  GRAM_ASSERT(!probe.empty(), "a difficulty estimate needs at least one answer");
  const Choice leader = aggregate(Aggregator::kMajority, probe);
  Difficulty estimate;
  estimate.share = static_cast<double>(leader.votes) / static_cast<double>(probe.size());
  estimate.settled = leader.votes == static_cast<int>(probe.size());
  if (use_values) {
    double total = 0.0;
    for (const Candidate& answer : probe) {
      if (answer.answer_hash == leader.answer_hash) total += std::clamp(answer.value, 0.0f, 1.0f);
    }
    estimate.confidence = total / leader.votes;
  }
  estimate.difficulty = 1.0 - estimate.share * estimate.confidence;
  return estimate;
}

std::int64_t total_trajectories(const AllocationSettings& settings, std::size_t puzzles) {
  // The small margin keeps budgets like 6.3 x 10 puzzles from losing a trajectory to rounding.
  return static_cast<std::int64_t>(std::floor(settings.budget * static_cast<double>(puzzles) + 1e-9));
}

std::vector<int> split_by_weight(std::span<const double> weights, std::int64_t extra, int room) {
  GRAM_ASSERT(room >= 0 && extra >= 0, "room and extra trajectories are not negative");
  std::vector<int> given(weights.size(), 0);
  std::vector<std::size_t> open;  // puzzles still below their room, with a positive weight
  for (std::size_t p = 0; p < weights.size(); ++p) {
    if (weights[p] > 0.0 && room > 0) open.push_back(p);
  }
  // Water-filling: a puzzle whose proportional share reaches its room is filled and leaves the
  // pool; the others share what remains, until no share exceeds the room.
  std::int64_t left = extra;
  std::vector<double> ideal(weights.size(), 0.0);
  while (!open.empty() && left > 0) {
    double total_weight = 0.0;
    for (std::size_t p : open) total_weight += weights[p];
    std::vector<std::size_t> still_open;
    for (std::size_t p : open) {
      ideal[p] = static_cast<double>(left) * weights[p] / total_weight;
      if (ideal[p] >= room) {
        given[p] = room;
      } else {
        still_open.push_back(p);
      }
    }
    if (still_open.size() == open.size()) break;  // nothing filled: the shares stand
    for (std::size_t p : open) {
      if (given[p] == room) left -= room;
    }
    open = std::move(still_open);
  }
  if (open.empty() || left <= 0) return given;
  // Round down, then the remainder one each to the largest fractional parts.
  std::int64_t handed = 0;
  for (std::size_t p : open) {
    given[p] = static_cast<int>(std::floor(ideal[p]));
    handed += given[p];
  }
  std::vector<std::size_t> by_remainder = open;
  std::stable_sort(by_remainder.begin(), by_remainder.end(), [&](std::size_t a, std::size_t b) {
    return ideal[a] - std::floor(ideal[a]) > ideal[b] - std::floor(ideal[b]);
  });
  for (std::size_t i = 0; handed < left && i < by_remainder.size(); ++i) {
    ++given[by_remainder[i]];
    ++handed;
  }
  return given;
}

std::vector<int> allocate_widths(std::span<const std::vector<Candidate>> probes,
                                 const AllocationSettings& settings) {
  GRAM_ASSERT(settings.probe >= 1 && settings.cap >= settings.probe,
              "allocation: 1 <= probe <= cap");
  const std::int64_t total = total_trajectories(settings, probes.size());
  const std::int64_t probe_cost = static_cast<std::int64_t>(settings.probe) * probes.size();
  GRAM_ASSERT(total >= probe_cost, "allocation: the budget must pay for the first round");
  std::vector<double> weights;
  for (const auto& probe : probes) {
    GRAM_ASSERT(static_cast<int>(probe.size()) == settings.probe,
                "allocation: every puzzle has exactly `probe` first-round answers");
    const Difficulty estimate = estimate_difficulty(probe, settings.use_values);
    weights.push_back(estimate.settled ? 0.0 : estimate.difficulty);
  }
  std::vector<int> widths =
      split_by_weight(weights, total - probe_cost, settings.cap - settings.probe);
  for (int& width : widths) width += settings.probe;
  return widths;
}

}  // namespace gram::engine
