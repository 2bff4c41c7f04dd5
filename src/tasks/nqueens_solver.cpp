#include "tasks/nqueens_solver.h"

#include <bit>

#include "util/error.h"

namespace gram::tasks {
namespace {

class QueenSearch {
 public:
  QueenSearch(int size, std::span<const int> forced,
              const std::function<bool(std::span<const int>)>& visit)
      : size_(size), forced_(forced), visit_(visit), columns_(size, -1) {
    GRAM_ASSERT(size >= 1 && size <= 31, "queen board side fits a 32-bit mask");
    GRAM_ASSERT(static_cast<int>(forced.size()) == size, "one forced entry per row");
  }

  void run() { search(0, 0, 0, 0); }

 private:
  // `left` and `right` hold the squares of this row attacked along each diagonal; they shift by
  // one column per row as the diagonals move on.
  void search(int row, std::uint32_t columns, std::uint32_t left, std::uint32_t right) {
    if (row == size_) {
      stopped_ = !visit_(columns_);
      return;
    }
    const std::uint32_t full = (1u << size_) - 1;
    std::uint32_t free = ~(columns | left | right) & full;
    if (forced_[row] >= 0) {
      free &= 1u << forced_[row];
    }
    while (free != 0 && !stopped_) {
      std::uint32_t bit = free & (0u - free);
      free ^= bit;
      columns_[row] = std::countr_zero(bit);
      search(row + 1, columns | bit, ((left | bit) << 1) & full, (right | bit) >> 1);
    }
  }

  int size_;
  std::span<const int> forced_;
  const std::function<bool(std::span<const int>)>& visit_;
  std::vector<int> columns_;  // (size) column of the queen in each row placed so far
  bool stopped_ = false;
};

}  // namespace

void for_each_queen_placement(int size, std::span<const int> forced,
                              const std::function<bool(std::span<const int>)>& visit) {
  QueenSearch(size, forced, visit).run();
}

std::int64_t count_queen_placements(int size, std::span<const int> forced, std::int64_t cap) {
  std::int64_t count = 0;
  if (cap <= 0) {
    return 0;
  }
  for_each_queen_placement(size, forced, [&](std::span<const int>) { return ++count < cap; });
  return count;
}

}  // namespace gram::tasks
