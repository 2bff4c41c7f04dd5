#pragma once
// Graph colouring "coloring:N:C": colour N nodes (3..32) with C colours (2..9) so that the ends
// of every edge differ.
//
// Sequence: the upper triangle of the adjacency matrix (pairs i < j, row-major; 1 no edge,
// 2 edge) then one slot per node (1 unknown in the input, 3 + colour in the output). Only the
// node slots are the answer: validity, hash and rendering ignore the triangle.
#include <memory>

#include "tasks/task.h"

namespace gram::tasks {

std::unique_ptr<Task> make_coloring_task(int nodes, int colors);

}  // namespace gram::tasks
