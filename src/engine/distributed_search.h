#pragma once
// A latent search (engine/search_run.h) over all ranks of a job. A puzzle's rows are compared
// with each other after every step, so puzzles, never rows, are shared out: rank r searches the
// contiguous block of whole puzzles [P r / W, P (r + 1) / W) (a search runs every row to depth,
// so blocks of equal size cost the same). Noise and resampling draws are keyed by the puzzle's
// index in the whole file, so the answers do not depend on the number of ranks. Rank 0 gathers
// every rank's outcomes and hands them over in puzzle order; alone, a process streams them as
// they finish.
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/distributed_run.h"
#include "engine/search_run.h"

namespace gram::engine {

// Puzzles [begin, end) of the file that `rank` of `size` searches.
struct PuzzleBlock {
  std::size_t begin = 0;
  std::size_t end = 0;
};
PuzzleBlock search_share(std::size_t puzzles, int rank, int size);

// Exact round trip of search outcomes (answers bitwise, compute counts).
std::string serialize_search_outcomes(std::span<const SearchOutcome> outcomes);
std::vector<SearchOutcome> deserialize_search_outcomes(std::string_view bytes);

// Searches this rank's block with `model` (sized for it: engine/rank_rows.h). `on_local` sees
// each of this rank's puzzles as it finishes (progress; may throw Stopped, which every rank then
// agrees on before the gather); `on_puzzle`, on rank 0 only, gets every puzzle in file order.
void run_search_on_ranks(DistributedRun& ranks, RecursiveModel& model, const tasks::Task& task,
                         std::span<const tasks::Puzzle> puzzles, const SearchSettings& settings,
                         const std::function<void(const SearchOutcome&)>& on_local,
                         const std::function<void(SearchOutcome&&)>& on_puzzle);

}  // namespace gram::engine
