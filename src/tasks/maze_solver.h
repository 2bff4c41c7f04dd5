#pragma once
// Shortest paths and generation of square mazes: the solver behind the maze task (maze.h).
// A maze is n x n cells, row-major, each a wall or open; moves go to the 4 neighbours.
#include <cstdint>
#include <vector>

namespace gram::tasks {

struct MazeGrid {
  int size = 0;             // n: the grid is n x n
  std::vector<bool> open;   // (n * n) true where a path may go
  int start = 0, goal = 0;  // cells (row * n + column), both open
};

// Moves from `from` to every cell over open cells (-1 where it cannot be reached).
std::vector<int> maze_distances(const MazeGrid& grid, int from);

// Moves from `from` to `to` over open cells, -1 when `to` cannot be reached. With `only`
// non-empty, the path may use only the cells marked there (and `to`).
int maze_distance(const MazeGrid& grid, int from, int to, const std::vector<bool>& only = {});

// The number of shortest start-goal paths, counting stops at `cap`.
std::int64_t count_shortest_paths(const MazeGrid& grid, std::int64_t cap);

// One shortest path's cells strictly between start and goal, in order; empty when the goal
// cannot be reached or is next to the start. Ties go to the lowest-numbered cell, so the same
// maze always gives the same path.
std::vector<int> shortest_path(const MazeGrid& grid);

// A perfect maze (one path between any two open cells) drawn with `draw(bound)` in [0, bound):
// rooms at odd coordinates joined by a depth-first search; start at a random room, the goal at
// the room farthest from it (the lowest-numbered one among the farthest).
template <typename Draw>
MazeGrid generate_maze(int size, Draw draw);

}  // namespace gram::tasks

#include "tasks/maze_generator.inl"
