#pragma once
// N-Queens on n x n boards, n = 4..12: complete a board of given queens to n queens, no two
// attacking (same row, column or diagonal).
//
// Tokens: 0 pad, 1 empty, 2 queen, row-major. An instance is a full solution with some queens
// removed, so it may have several completions; the verifier accepts any of them.
#include <memory>

#include "tasks/task.h"

namespace gram::tasks {

std::unique_ptr<Task> make_nqueens_task(int size);  // size 4..12

}  // namespace gram::tasks
