#pragma once
// How many rows one rank advances together, for any shape of work: uniform width, an adaptive
// or allocated run (its cap per puzzle), or a latent search (whole puzzles per batch). The one
// place that turns a requested row_cap into the rank's batch size:
//
//   1. this rank's share of the rows: ceil(P x rows_per_puzzle / W) trajectories, or for whole
//      puzzles its block of puzzles (engine/distributed_search.h) x rows_per_puzzle;
//   2. the requested cap, no larger than that share (and at least one row);
//   3. fitted to memory (engine/memory_plan.h), which may lower it;
//   4. for whole puzzles, rounded down to a multiple of the puzzle's rows.
//
// Answers are bitwise the same for every row cap (docs/cli.md), so all of this changes only how
// many batches a run takes, never what it finds.
#include <cstddef>
#include <cstdint>

#include "backend/backend.h"
#include "engine/memory_plan.h"
#include "model/model_config.h"

namespace gram::engine {

struct WorkShape {
  std::size_t puzzles = 0;    // in the whole run, over every rank
  int rows_per_puzzle = 1;    // width (or an adaptive run's cap), or a search's rows per puzzle
  bool whole_puzzles = false; // a batch holds whole puzzles (a search compares a puzzle's rows)
  int recorded_steps = 0;     // answers kept per trajectory (a sweep's runs keep every step's)
};

struct RankRows {
  int row_cap = 1;             // rows per batch on this rank
  int wanted = 1;              // before the memory fit (after step 2)
  RowPlan memory;              // the memory fit (step 3)
  // Memory made the batches smaller than wanted (rounding to whole puzzles alone does not).
  bool lowered() const { return memory.row_cap < wanted; }
};

// Steps 1-4 for `rank` of `world_size`. Throws one gram::Error line when one row, or for whole
// puzzles one puzzle's rows, cannot fit, or when `requested_row_cap` cannot hold one puzzle's
// rows of a whole-puzzle shape.
RankRows plan_rank_rows(const model::ModelConfig& model, const WorkShape& shape,
                        int requested_row_cap, std::uint64_t memory_limit,
                        const backend::MemoryCapacity& capacity, int rank, int world_size);

}  // namespace gram::engine
