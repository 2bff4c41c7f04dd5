#include "engine/distributed_search.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/stop_signal.h"

namespace gram::engine {

PuzzleBlock search_share(std::size_t puzzles, int rank, int size) {
  GRAM_ASSERT(size >= 1 && rank >= 0 && rank < size, "rank outside the world");
  return {puzzles * rank / size, puzzles * (rank + 1) / size};
}

// The compute counts travel as JSON (integers, exact); the answers through serialize_results,
// which keeps every float bit. Layout: JSON length (decimal) '\n' JSON, then the results.
std::string serialize_search_outcomes(std::span<const SearchOutcome> outcomes) {
  nlohmann::json puzzles = nlohmann::json::array();
  std::vector<TrajectoryResult> answers;
  for (const SearchOutcome& searched : outcomes) {
    const SearchCompute& compute = searched.compute;
    puzzles.push_back({searched.outcome.puzzle, searched.outcome.trajectories.size(), compute.rows,
                       compute.applications, compute.state_copies, compute.state_copy_bytes,
                       compute.resamplings, compute.uniform_width, compute.uniform_applications});
    answers.insert(answers.end(), searched.outcome.trajectories.begin(),
                   searched.outcome.trajectories.end());
  }
  const std::string header = puzzles.dump();
  return std::to_string(header.size()) + "\n" + header + serialize_results(answers);
}

std::vector<SearchOutcome> deserialize_search_outcomes(std::string_view bytes) {
  const std::size_t newline = bytes.find('\n');
  GRAM_ASSERT(newline != std::string_view::npos, "search outcomes without a header");
  const std::size_t length = std::stoull(std::string(bytes.substr(0, newline)));
  const nlohmann::json puzzles = nlohmann::json::parse(bytes.substr(newline + 1, length));
  std::vector<TrajectoryResult> answers = deserialize_results(bytes.substr(newline + 1 + length));
  std::vector<SearchOutcome> outcomes;
  std::size_t next = 0;
  for (const nlohmann::json& puzzle : puzzles) {
    SearchOutcome searched;
    searched.outcome.puzzle = puzzle[0].get<std::uint32_t>();
    const auto count = puzzle[1].get<std::size_t>();
    GRAM_ASSERT(next + count <= answers.size(), "search outcomes cut short");
    for (std::size_t i = 0; i < count; ++i) {
      searched.outcome.trajectories.push_back(std::move(answers[next++]));
    }
    SearchCompute& compute = searched.compute;
    compute.rows = puzzle[2].get<int>();
    compute.applications = puzzle[3].get<std::int64_t>();
    compute.state_copies = puzzle[4].get<std::int64_t>();
    compute.state_copy_bytes = puzzle[5].get<std::int64_t>();
    compute.resamplings = puzzle[6].get<int>();
    compute.uniform_width = puzzle[7].get<int>();
    compute.uniform_applications = puzzle[8].get<std::int64_t>();
    outcomes.push_back(std::move(searched));
  }
  GRAM_ASSERT(next == answers.size(), "search outcomes with answers left over");
  return outcomes;
}

void run_search_on_ranks(DistributedRun& ranks, RecursiveModel& model, const tasks::Task& task,
                         std::span<const tasks::Puzzle> puzzles, const SearchSettings& settings,
                         const std::function<void(const SearchOutcome&)>& on_local,
                         const std::function<void(SearchOutcome&&)>& on_puzzle) {
  LatentSearch search(model, task, settings);
  if (ranks.world_size() == 1) {
    search.run(puzzles, [&](SearchOutcome&& searched) {
      if (on_local) on_local(searched);
      on_puzzle(std::move(searched));
    });
    return;
  }
  const PuzzleBlock block = search_share(puzzles.size(), ranks.rank(), ranks.world_size());
  std::vector<SearchOutcome> mine;
  int stopped = 0;
  try {
    if (block.end > block.begin) {
      search.run(puzzles.subspan(block.begin, block.end - block.begin),
                 [&](SearchOutcome&& searched) {
                   mine.push_back(std::move(searched));
                   if (on_local) on_local(mine.back());
                 },
                 static_cast<std::uint32_t>(block.begin));
    }
  } catch (const Stopped& stop) {
    stopped = stop.signal();
  }
  stopped = agree_on_stop(ranks.communicator(), stopped);
  if (stopped != 0) {
    rank_log("search stopping on " + signal_name(stopped) + " after " +
             std::to_string(mine.size()) + " of " + std::to_string(block.end - block.begin) +
             " puzzles");
    request_stop(stopped);
    throw Stopped(stopped);
  }
  rank_log("searched puzzles " + std::to_string(block.begin) + ".." +
           std::to_string(block.end) + " of " + std::to_string(puzzles.size()));
  const std::vector<std::string> parts =
      ranks.communicator().gather(serialize_search_outcomes(mine));
  if (!ranks.is_root()) return;
  // The blocks are contiguous and in rank order, so rank order is file order.
  std::size_t handed = 0;
  for (const std::string& part : parts) {
    for (SearchOutcome& searched : deserialize_search_outcomes(part)) {
      GRAM_ASSERT(searched.outcome.puzzle == handed, "gathered searches out of puzzle order");
      on_puzzle(std::move(searched));
      ++handed;
    }
  }
  GRAM_ASSERT(handed == puzzles.size(), "gathered searches do not cover the puzzles");
}

}  // namespace gram::engine
