#pragma once
// Mazes on n x n grids, n = 5..30: mark a shortest path from S to G (the Maze-Hard task of the
// HRM and TRM papers, 30 x 30).
//
// Tokens as the official data builder (TRM's dataset/build_maze_dataset.py, charset "# SGo"):
// 0 pad, 1 wall '#', 2 open ' ', 3 start 'S', 4 goal 'G', 5 path 'o', row-major. A line of a
// puzzle file is `maze[,solution]`, each n * n of those characters: the `question` and `answer`
// columns of the official CSV files. Any shortest path is a correct answer.
#include <memory>

#include "tasks/task.h"

namespace gram::tasks {

std::unique_ptr<Task> make_maze_task(int size);  // size 5..30

}  // namespace gram::tasks
