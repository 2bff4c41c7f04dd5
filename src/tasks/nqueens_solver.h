#pragma once
// Exact N-Queens search for boards up to 12x12 (14,200 solutions), one queen per row.
//
// A placement is the queen's column for each row. Columns and both diagonal directions are
// kept as bitmasks that shift by one per row, the classic search that lists all 12x12
// solutions in milliseconds.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace gram::tasks {

// Calls `visit` with each complete placement (columns per row) that puts the given queen of
// every row (forced[row] >= 0) where it is; stops when `visit` returns false.
void for_each_queen_placement(int size, std::span<const int> forced,
                              const std::function<bool(std::span<const int>)>& visit);

// Completions consistent with `forced`, counting stops at `cap`.
std::int64_t count_queen_placements(int size, std::span<const int> forced, std::int64_t cap);

}  // namespace gram::tasks
