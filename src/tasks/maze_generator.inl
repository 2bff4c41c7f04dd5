// generate_maze of maze_solver.h: a template over the draw, so the task's SeededRandom is used
// without this header depending on it.
#include <utility>

namespace gram::tasks {

template <typename Draw>
MazeGrid generate_maze(int size, Draw draw) {
  MazeGrid grid;
  grid.size = size;
  grid.open.assign(static_cast<std::size_t>(size) * size, false);
  const int rooms = (size - 1) / 2;  // rooms per side, at coordinates 1, 3, ..., 2 * rooms - 1
  auto cell = [&](int room_row, int room_column) {
    return (2 * room_row + 1) * size + 2 * room_column + 1;
  };
  std::vector<bool> visited(static_cast<std::size_t>(rooms) * rooms, false);
  std::vector<std::pair<int, int>> stack = {{static_cast<int>(draw(rooms)),
                                             static_cast<int>(draw(rooms))}};
  const auto [start_row, start_column] = stack.front();
  visited[start_row * rooms + start_column] = true;
  grid.open[cell(start_row, start_column)] = true;
  const int steps[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
  while (!stack.empty()) {
    const auto [row, column] = stack.back();
    std::pair<int, int> choices[4];
    int count = 0;
    for (const auto& step : steps) {
      const int r = row + step[0], c = column + step[1];
      if (r >= 0 && r < rooms && c >= 0 && c < rooms && !visited[r * rooms + c]) {
        choices[count++] = {r, c};
      }
    }
    if (count == 0) {
      stack.pop_back();
      continue;
    }
    const auto [next_row, next_column] = choices[draw(count)];
    visited[next_row * rooms + next_column] = true;
    grid.open[cell(next_row, next_column)] = true;
    grid.open[(cell(row, column) + cell(next_row, next_column)) / 2] = true;  // the wall between
    stack.push_back({next_row, next_column});
  }
  grid.start = cell(start_row, start_column);
  const std::vector<int> distance = maze_distances(grid, grid.start);
  int farthest = -1;
  for (int room = 0; room < rooms * rooms; ++room) {
    const int target = cell(room / rooms, room % rooms);
    if (distance[target] > farthest) {
      farthest = distance[target];
      grid.goal = target;
    }
  }
  return grid;
}

}  // namespace gram::tasks
