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

void sort_by_trajectory(std::vector<TrajectoryResult>& trajectories) {
  std::sort(trajectories.begin(), trajectories.end(),
            [](const TrajectoryResult& a, const TrajectoryResult& b) {
              return a.trajectory < b.trajectory;
            });
}

}  // namespace

int settled_width(std::span<const Candidate> answers, const AdaptiveSettings& settings) {
  GRAM_ASSERT(settings.round >= 1 && settings.width >= 1, "adaptive round and width are >= 1");
  GRAM_ASSERT(static_cast<int>(answers.size()) >= settings.width,
              "settled_width reads a run at least `width` wide");
  for (int last = std::min(settings.round, settings.width);;
       last = std::min(settings.width, last + settings.round)) {
    if (last >= settings.width || has_settled(answers.first(last), settings.stopping)) return last;
  }
}

void run_allocated(DistributedRun& ranks, Runner& runner, std::span<const tasks::Puzzle> puzzles,
                   const AllocationSettings& settings,
                   const std::function<void(PuzzleOutcome&&)>& on_puzzle) {
  std::vector<PuzzleOutcome> outcomes(puzzles.size());  // filled on rank 0
  std::vector<WorkItem> items;  // (puzzles x probe), puzzle-major
  for (std::uint32_t puzzle = 0; puzzle < puzzles.size(); ++puzzle) {
    outcomes[puzzle].puzzle = puzzle;
    for (int trajectory = 0; trajectory < settings.probe; ++trajectory) {
      items.push_back({puzzle, static_cast<std::uint32_t>(trajectory)});
    }
  }
  auto collect = [&](TrajectoryResult&& result) {
    outcomes[result.puzzle].trajectories.push_back(std::move(result));
  };
  ranks.run(runner, puzzles, items, {}, collect);

  std::string widths_text;
  if (ranks.is_root()) {
    std::vector<std::vector<Candidate>> probes;
    for (PuzzleOutcome& outcome : outcomes) {
      sort_by_trajectory(outcome.trajectories);
      auto& answers = probes.emplace_back();
      for (const auto& trajectory : outcome.trajectories) {
        answers.push_back({trajectory.answer_hash, trajectory.value, trajectory.valid});
      }
    }
    std::vector<std::uint32_t> widths;
    for (int width : allocate_widths(probes, settings)) widths.push_back(width);
    widths_text = encode(widths);
  }
  const std::vector<std::uint32_t> widths = decode(ranks.communicator().broadcast(widths_text));
  GRAM_ASSERT(widths.size() == puzzles.size(), "allocation: one width per puzzle");
  items.clear();
  for (std::uint32_t puzzle = 0; puzzle < puzzles.size(); ++puzzle) {
    for (std::uint32_t trajectory = settings.probe; trajectory < widths[puzzle]; ++trajectory) {
      items.push_back({puzzle, trajectory});
    }
  }
  if (!items.empty()) ranks.run(runner, puzzles, items, {}, collect);
  if (!ranks.is_root()) return;
  for (PuzzleOutcome& outcome : outcomes) {
    sort_by_trajectory(outcome.trajectories);
    on_puzzle(std::move(outcome));
  }
}

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
