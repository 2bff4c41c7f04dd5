#include "engine/rank_rows.h"

#include <algorithm>
#include <string>

#include "util/error.h"

namespace gram::engine {
namespace {

// Step 1: the trajectories (rows) this rank holds over the whole run.
std::uint64_t rows_on_rank(const WorkShape& shape, int rank, int world_size) {
  const auto world = static_cast<std::uint64_t>(world_size);
  const auto per_puzzle = static_cast<std::uint64_t>(shape.rows_per_puzzle);
  if (!shape.whole_puzzles) {
    return (shape.puzzles * per_puzzle + world - 1) / world;
  }
  // Puzzles [P r / W, P (r + 1) / W), the block distributed_search.h gives this rank; at least
  // one puzzle, so that a rank with none still builds a valid model.
  const std::uint64_t begin = shape.puzzles * rank / world;
  const std::uint64_t end = shape.puzzles * (rank + 1) / world;
  return std::max<std::uint64_t>(end - begin, 1) * per_puzzle;
}

}  // namespace

RankRows plan_rank_rows(const model::ModelConfig& model, const WorkShape& shape,
                        int requested_row_cap, std::uint64_t memory_limit,
                        const backend::MemoryCapacity& capacity, int rank, int world_size) {
  const int puzzle_rows = shape.rows_per_puzzle;
  if (shape.whole_puzzles && requested_row_cap < puzzle_rows) {
    throw Error("row_cap " + std::to_string(requested_row_cap) + " cannot hold one puzzle's " +
                std::to_string(puzzle_rows) + " search rows; raise row_cap to at least " +
                std::to_string(puzzle_rows));
  }
  const std::uint64_t rows_needed = rows_on_rank(shape, rank, world_size);
  RankRows rows;
  rows.wanted = static_cast<int>(std::min<std::uint64_t>(
      static_cast<std::uint64_t>(std::max(requested_row_cap, 1)),
      std::max<std::uint64_t>(rows_needed, 1)));
  rows.memory = plan_rows(estimate_memory(model, rows_needed, shape.recorded_steps), rows.wanted,
                          memory_limit, capacity);
  rows.row_cap = rows.memory.row_cap;
  if (shape.whole_puzzles) {
    if (rows.row_cap < puzzle_rows) {
      throw Error("one puzzle's " + std::to_string(puzzle_rows) + " search rows do not fit " +
                  format_bytes(rows.memory.limit_bytes));
    }
    rows.row_cap = rows.row_cap / puzzle_rows * puzzle_rows;
  }
  return rows;
}

}  // namespace gram::engine
