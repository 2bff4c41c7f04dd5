#pragma once
// Exact Sudoku search: counting, solving and random full grids for 4x4, 6x6 and 9x9 boards.
//
// Cells are digits 1..n, 0 for blank, row-major. The search keeps one bitmask of used digits
// per row, column and box and always branches on the blank cell with the fewest candidates,
// which settles the hardest published 9x9 puzzles in milliseconds.
#include <cstdint>
#include <span>
#include <vector>

#include "tasks/seeded_random.h"

namespace gram::tasks {

struct SudokuGeometry {
  int size = 9;      // n: cells per row, column and box
  int box_rows = 3;  // a box is box_rows x box_cols cells
  int box_cols = 3;

  static SudokuGeometry for_size(int size);  // 4 -> 2x2 boxes, 6 -> 2x3, 9 -> 3x3
  int cells() const { return size * size; }
  int box_of(int row, int column) const {
    return (row / box_rows) * (size / box_cols) + column / box_cols;
  }
};

// Number of completions of `cells`, counting stops at `cap`. Givens that already clash count as
// zero solutions. When `first_solution` is given it receives the first completion found.
std::int64_t count_sudoku_solutions(const SudokuGeometry& geometry, std::span<const int> cells,
                                    std::int64_t cap, std::vector<int>* first_solution = nullptr);

// A uniformly seeded (not uniformly distributed) full grid: the search above with candidates
// tried in random order.
std::vector<int> random_sudoku_grid(const SudokuGeometry& geometry, SeededRandom& random);

}  // namespace gram::tasks
