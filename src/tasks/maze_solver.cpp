#include "tasks/maze_solver.h"

#include <algorithm>
#include <deque>

namespace gram::tasks {
namespace {

// The open neighbours of `cell`, lowest-numbered first.
template <typename Visit>
void for_each_neighbour(const MazeGrid& grid, int cell, Visit visit) {
  const int n = grid.size, row = cell / n, column = cell % n;
  if (row > 0 && grid.open[cell - n]) visit(cell - n);
  if (column > 0 && grid.open[cell - 1]) visit(cell - 1);
  if (column + 1 < n && grid.open[cell + 1]) visit(cell + 1);
  if (row + 1 < n && grid.open[cell + n]) visit(cell + n);
}

// Breadth-first distances from `from` over open cells (and only `only`'s, when given): -1 where
// unreachable.
std::vector<int> distances_from(const MazeGrid& grid, int from, const std::vector<bool>& only,
                                int to) {
  std::vector<int> distance(grid.open.size(), -1);
  std::deque<int> queue = {from};
  distance[from] = 0;
  while (!queue.empty()) {
    const int cell = queue.front();
    queue.pop_front();
    for_each_neighbour(grid, cell, [&](int next) {
      const bool allowed = only.empty() || only[next] || next == to;
      if (allowed && distance[next] < 0) {
        distance[next] = distance[cell] + 1;
        queue.push_back(next);
      }
    });
  }
  return distance;
}

}  // namespace

std::vector<int> maze_distances(const MazeGrid& grid, int from) {
  return distances_from(grid, from, {}, from);
}

int maze_distance(const MazeGrid& grid, int from, int to, const std::vector<bool>& only) {
  return distances_from(grid, from, only, to)[to];
}

std::int64_t count_shortest_paths(const MazeGrid& grid, std::int64_t cap) {
  const std::vector<int> distance = distances_from(grid, grid.start, {}, grid.goal);
  if (distance[grid.goal] < 0) return 0;
  // Cells in order of distance; each adds its count to the neighbours one step farther.
  std::vector<int> order(grid.open.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return distance[a] < distance[b]; });
  std::vector<std::int64_t> paths(grid.open.size(), 0);
  paths[grid.start] = 1;
  for (int cell : order) {
    if (distance[cell] < 0 || paths[cell] == 0) continue;
    for_each_neighbour(grid, cell, [&](int next) {
      if (distance[next] == distance[cell] + 1) {
        paths[next] = std::min(cap, paths[next] + paths[cell]);
      }
    });
  }
  return paths[grid.goal];
}

std::vector<int> shortest_path(const MazeGrid& grid) {
  // Walk forward from the start, always to the lowest-numbered neighbour one step closer to
  // the goal.
  const std::vector<int> to_goal = distances_from(grid, grid.goal, {}, grid.start);
  std::vector<int> path;
  if (to_goal[grid.start] < 0) return path;
  int cell = grid.start;
  while (to_goal[cell] > 1) {
    int chosen = -1;
    for_each_neighbour(grid, cell, [&](int next) {
      if (chosen < 0 && to_goal[next] == to_goal[cell] - 1) chosen = next;
    });
    path.push_back(chosen);
    cell = chosen;
  }
  return path;
}

}  // namespace gram::tasks
