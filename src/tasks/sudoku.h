#pragma once
// Sudoku on 4x4 (2x2 boxes), 6x6 (boxes of 2 rows x 3 columns) and 9x9 (3x3) boards.
//
// Tokens: 0 pad, 1 blank, digit d -> d + 1, row-major, as in the Sudoku-Extreme data the
// published models were trained on. Reads Sudoku-Extreme CSV and one-puzzle-per-line files.
#include <memory>

#include "tasks/task.h"

namespace gram::tasks {

std::unique_ptr<Task> make_sudoku_task(int size);  // size 4, 6 or 9

}  // namespace gram::tasks
