#include "engine/adaptive_run.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "util/error.h"

namespace gram::engine {
namespace {

std::string encode(const std::vector<std::uint32_t>& puzzles) {
  std::ostringstream text;
  for (std::uint32_t puzzle : puzzles) text << puzzle << ' ';
  return text.str();
}

std::vector<std::uint32_t> decode(const std::string& text) {
  std::vector<std::uint32_t> puzzles;
  std::istringstream stream(text);
  for (std::uint32_t puzzle; stream >> puzzle;) puzzles.push_back(puzzle);
  return puzzles;
}

}  // namespace

int run_adaptive(DistributedRun& ranks, Runner& runner, std::span<const tasks::Puzzle> puzzles,
                 const AdaptiveSettings& settings,
                 const std::function<void(PuzzleOutcome&&)>& on_puzzle) {
  GRAM_ASSERT(settings.round >= 1 && settings.width >= 1, "adaptive round and width are >= 1");
  std::vector<PuzzleOutcome> outcomes(puzzles.size());  // filled on rank 0
  std::vector<std::uint32_t> open(puzzles.size());
  for (std::uint32_t puzzle = 0; puzzle < open.size(); ++puzzle) {
    open[puzzle] = puzzle;
    outcomes[puzzle].puzzle = puzzle;
  }
  int rounds = 0;
  for (int first = 0; first < settings.width && !open.empty(); first += settings.round) {
    const int last = std::min(settings.width, first + settings.round);
    std::vector<WorkItem> items;  // (open puzzles x round), puzzle-major
    for (std::uint32_t puzzle : open) {
      for (int trajectory = first; trajectory < last; ++trajectory) {
        items.push_back({puzzle, static_cast<std::uint32_t>(trajectory)});
      }
    }
    ranks.run(runner, puzzles, items, {}, [&](TrajectoryResult&& result) {
      outcomes[result.puzzle].trajectories.push_back(std::move(result));
    });
    ++rounds;

    std::string still_open;
    if (ranks.is_root()) {
      std::vector<std::uint32_t> next;
      for (std::uint32_t puzzle : open) {
        auto& trajectories = outcomes[puzzle].trajectories;
        std::sort(trajectories.begin(), trajectories.end(),
                  [](const TrajectoryResult& a, const TrajectoryResult& b) {
                    return a.trajectory < b.trajectory;
                  });
        std::vector<Candidate> answers;
        for (const auto& trajectory : trajectories) {
          answers.push_back({trajectory.answer_hash, trajectory.value, trajectory.valid});
        }
        if (last < settings.width && !has_settled(answers, settings.stopping)) {
          next.push_back(puzzle);
        }
      }
      still_open = encode(next);
    }
    open = decode(ranks.communicator().broadcast(still_open));
  }
  if (ranks.is_root()) {
    for (PuzzleOutcome& outcome : outcomes) on_puzzle(std::move(outcome));
  }
  return rounds;
}

}  // namespace gram::engine
