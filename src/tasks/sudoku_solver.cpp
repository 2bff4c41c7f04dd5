#include "tasks/sudoku_solver.h"

#include <array>
#include <bit>
#include <utility>

#include "util/error.h"

namespace gram::tasks {
namespace {

class SudokuSearch {
 public:
  SudokuSearch(const SudokuGeometry& geometry, std::span<const int> cells)
      : geometry_(geometry),
        cells_(cells.begin(), cells.end()),
        row_used_(geometry.size, 0),
        column_used_(geometry.size, 0),
        box_used_(geometry.size, 0) {
    GRAM_ASSERT(static_cast<int>(cells.size()) == geometry.cells(), "sudoku cell count");
    for (int cell = 0; cell < geometry.cells(); ++cell) {
      int digit = cells_[cell];
      if (digit == 0) {
        blanks_.push_back(cell);
        continue;
      }
      GRAM_ASSERT(digit >= 1 && digit <= geometry.size, "sudoku digit out of range");
      std::uint32_t bit = 1u << (digit - 1);
      int row = cell / geometry.size;
      int column = cell % geometry.size;
      int box = geometry.box_of(row, column);
      if ((row_used_[row] | column_used_[column] | box_used_[box]) & bit) {
        contradiction_ = true;
      }
      row_used_[row] |= bit;
      column_used_[column] |= bit;
      box_used_[box] |= bit;
    }
  }

  std::int64_t run(std::int64_t cap, std::vector<int>* first_solution, SeededRandom* random) {
    if (contradiction_ || cap <= 0) {
      return 0;
    }
    cap_ = cap;
    first_solution_ = first_solution;
    random_ = random;
    search(0);
    return count_;
  }

 private:
  std::uint32_t candidates(int cell) const {
    int row = cell / geometry_.size;
    int column = cell % geometry_.size;
    std::uint32_t used =
        row_used_[row] | column_used_[column] | box_used_[geometry_.box_of(row, column)];
    return ~used & ((1u << geometry_.size) - 1);
  }

  void place(int cell, int digit, bool on) {
    std::uint32_t bit = 1u << (digit - 1);
    int row = cell / geometry_.size;
    int column = cell % geometry_.size;
    int box = geometry_.box_of(row, column);
    row_used_[row] ^= bit;
    column_used_[column] ^= bit;
    box_used_[box] ^= bit;
    cells_[cell] = on ? digit : 0;
  }

  // blanks_[depth..] are the cells still empty; the chosen one is swapped to blanks_[depth].
  void search(std::size_t depth) {
    if (depth == blanks_.size()) {
      if (++count_ == 1 && first_solution_ != nullptr) {
        *first_solution_ = cells_;
      }
      return;
    }
    std::size_t best = depth;
    int best_count = 99;
    for (std::size_t i = depth; i < blanks_.size(); ++i) {
      int options = std::popcount(candidates(blanks_[i]));
      if (options < best_count) {
        best = i;
        best_count = options;
        if (options <= 1) {
          break;  // a dead end or a forced cell: nothing can beat it
        }
      }
    }
    if (best_count == 0) {
      return;
    }
    std::swap(blanks_[depth], blanks_[best]);
    int cell = blanks_[depth];
    std::uint32_t mask = candidates(cell);

    std::array<int, 9> digits{};
    int digit_count = 0;
    for (int digit = 1; digit <= geometry_.size; ++digit) {
      if (mask & (1u << (digit - 1))) {
        digits[digit_count++] = digit;
      }
    }
    if (random_ != nullptr) {
      for (int i = digit_count; i > 1; --i) {
        std::swap(digits[i - 1], digits[random_->below(static_cast<std::uint64_t>(i))]);
      }
    }
    for (int i = 0; i < digit_count; ++i) {
      place(cell, digits[i], true);
      search(depth + 1);
      place(cell, digits[i], false);
      if (count_ >= cap_) {
        return;
      }
    }
  }

  SudokuGeometry geometry_;
  std::vector<int> cells_;
  std::vector<std::uint32_t> row_used_;     // (n) bit d-1 set when digit d is in the row
  std::vector<std::uint32_t> column_used_;  // (n)
  std::vector<std::uint32_t> box_used_;     // (n)
  std::vector<int> blanks_;
  bool contradiction_ = false;
  std::int64_t cap_ = 0;
  std::int64_t count_ = 0;
  std::vector<int>* first_solution_ = nullptr;
  SeededRandom* random_ = nullptr;
};

}  // namespace

SudokuGeometry SudokuGeometry::for_size(int size) {
  switch (size) {
    case 4:
      return {4, 2, 2};
    case 6:
      return {6, 2, 3};
    case 9:
      return {9, 3, 3};
    default:
      throw Error("sudoku size " + std::to_string(size) + " is not supported (4, 6 or 9)");
  }
}

std::int64_t count_sudoku_solutions(const SudokuGeometry& geometry, std::span<const int> cells,
                                    std::int64_t cap, std::vector<int>* first_solution) {
  return SudokuSearch(geometry, cells).run(cap, first_solution, nullptr);
}

std::vector<int> random_sudoku_grid(const SudokuGeometry& geometry, SeededRandom& random) {
  std::vector<int> empty(geometry.cells(), 0);
  std::vector<int> grid;
  SudokuSearch(geometry, empty).run(1, &grid, &random);
  GRAM_ASSERT(static_cast<int>(grid.size()) == geometry.cells(), "an empty grid always fills");
  return grid;
}

}  // namespace gram::tasks
