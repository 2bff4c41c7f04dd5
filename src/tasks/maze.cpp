#include "tasks/maze.h"

#include <algorithm>
#include <string>

#include "tasks/maze_solver.h"
#include "tasks/seeded_random.h"
#include "tasks/text_file.h"
#include "util/error.h"
#include "util/hash.h"

namespace gram::tasks {
namespace {

// Token t is kCharset[t - 1]; 0 is padding.
constexpr char kCharset[] = "# SGo";
constexpr std::int32_t kWall = 1, kOpen = 2, kStart = 3, kGoal = 4, kPath = 5;

class MazeTask final : public Task {
 public:
  explicit MazeTask(int size) : size_(size) {
    if (size < 5 || size > 30) {
      throw Error("maze side " + std::to_string(size) + " is not supported (5..30)");
    }
  }

  TaskSpec spec() const override { return {"maze", size_, 0}; }
  int seq_len() const override { return size_ * size_; }
  int vocab_size() const override { return 6; }
  bool unique_solution() const override { return false; }

  std::vector<Puzzle> read_file(const std::string& path) const override;
  void write_file(const std::string& path, std::span<const Puzzle> puzzles) const override;
  bool is_valid(const Puzzle& puzzle, std::span<const std::int32_t> answer) const override;
  std::string render(std::span<const std::int32_t> answer) const override;
  std::uint64_t answer_hash(std::span<const std::int32_t> answer) const override {
    return fnv1a64_tokens(answer);
  }
  std::int64_t count_solutions(const Puzzle& puzzle, std::int64_t cap) const override {
    return count_shortest_paths(grid_of(puzzle.input), cap);
  }
  std::vector<std::int32_t> solve(const Puzzle& puzzle) const override;
  std::vector<Puzzle> generate(const GenerateOptions& options) const override;

 private:
  int cells() const { return size_ * size_; }
  std::vector<std::int32_t> parse_tokens(const LineReader& reader, Field field,
                                         bool solution) const;
  Puzzle parse_line(const LineReader& reader) const;
  MazeGrid grid_of(const std::vector<std::int32_t>& maze) const;
  std::vector<std::int32_t> with_path(const MazeGrid& grid, const std::vector<int>& path) const;

  int size_;
};

std::vector<std::int32_t> MazeTask::parse_tokens(const LineReader& reader, Field field,
                                                 bool solution) const {
  const char* what = solution ? "solution" : "maze";
  const int length = static_cast<int>(field.text.size());
  if (length != cells()) {
    reader.fail(field.column + std::min(length, cells()),
                std::string(what) + " has " + std::to_string(length) + " cells, expected " +
                    std::to_string(cells()));
  }
  const std::string allowed = solution ? "# SGo" : "# SG";
  std::vector<std::int32_t> tokens(cells());
  int starts = 0, goals = 0;
  for (int cell = 0; cell < cells(); ++cell) {
    const char symbol = field.text[cell];
    const auto at = allowed.find(symbol);
    if (at == std::string::npos) {
      reader.fail(field.column + cell, "illegal symbol " + quote_symbol(symbol) + " in " + what +
                                           " (expected one of '" + allowed + "')");
    }
    tokens[cell] = static_cast<std::int32_t>(at) + 1;
    starts += tokens[cell] == kStart;
    goals += tokens[cell] == kGoal;
  }
  if (starts != 1 || goals != 1) {
    reader.fail(field.column, std::string(what) + " has " + std::to_string(starts) + " 'S' and " +
                                  std::to_string(goals) + " 'G', expected one of each");
  }
  return tokens;
}

Puzzle MazeTask::parse_line(const LineReader& reader) const {
  std::vector<Field> fields = split_fields(reader.text(), ',');
  if (fields.size() > 2) {
    reader.fail(fields[2].column - 1, "unexpected ',' (expected maze[,solution])");
  }
  Puzzle puzzle;
  puzzle.id = std::to_string(reader.line_number());
  puzzle.input = parse_tokens(reader, fields[0], false);
  const MazeGrid grid = grid_of(puzzle.input);
  if (maze_distance(grid, grid.start, grid.goal) < 0) reader.fail_line("no path from S to G");
  if (fields.size() == 2) {
    puzzle.target = parse_tokens(reader, fields[1], true);
    if (!is_valid(puzzle, puzzle.target)) {
      reader.fail(fields[1].column,
                  "solution is not a shortest path from S to G through this maze");
    }
  }
  return puzzle;
}

// No comment lines: a maze line starts with its border wall '#'.
std::vector<Puzzle> MazeTask::read_file(const std::string& path) const {
  return read_puzzle_lines(
      path, [&](const LineReader& reader) { return parse_line(reader); }, false);
}

void MazeTask::write_file(const std::string& path, std::span<const Puzzle> puzzles) const {
  std::string text;
  for (const Puzzle& puzzle : puzzles) {
    text += render(puzzle.input);
    if (!puzzle.target.empty()) text += ',' + render(puzzle.target);
    text += '\n';
  }
  write_text_file(path, text);
}

MazeGrid MazeTask::grid_of(const std::vector<std::int32_t>& maze) const {
  MazeGrid grid;
  grid.size = size_;
  grid.open.resize(cells());
  for (int cell = 0; cell < cells(); ++cell) {
    grid.open[cell] = maze[cell] != kWall;
    if (maze[cell] == kStart) grid.start = cell;
    if (maze[cell] == kGoal) grid.goal = cell;
  }
  return grid;
}

// A shortest path: every cell but the open ones as in the maze, the open ones open or on the
// path, and a path from S to G through the marked cells that is as short as any (so, with
// exactly distance - 1 cells marked, the marked cells are that path and nothing else).
bool MazeTask::is_valid(const Puzzle& puzzle, std::span<const std::int32_t> answer) const {
  if (static_cast<int>(answer.size()) != cells()) return false;
  std::vector<bool> marked(cells(), false);
  int marks = 0;
  for (int cell = 0; cell < cells(); ++cell) {
    const std::int32_t given = puzzle.input[cell];
    const bool may_mark = given == kOpen && answer[cell] == kPath;
    if (answer[cell] != given && !may_mark) return false;
    marked[cell] = may_mark;
    marks += may_mark;
  }
  const MazeGrid grid = grid_of(puzzle.input);
  const int shortest = maze_distance(grid, grid.start, grid.goal);
  return shortest > 0 && marks == shortest - 1 &&
         maze_distance(grid, grid.start, grid.goal, marked) == shortest;
}

std::string MazeTask::render(std::span<const std::int32_t> answer) const {
  std::string text;
  text.reserve(answer.size());
  for (std::int32_t token : answer) {
    text += token >= 1 && token <= kPath ? kCharset[token - 1] : '?';
  }
  return text;
}

std::vector<std::int32_t> MazeTask::with_path(const MazeGrid& grid,
                                              const std::vector<int>& path) const {
  std::vector<std::int32_t> tokens(cells());
  for (int cell = 0; cell < cells(); ++cell) tokens[cell] = grid.open[cell] ? kOpen : kWall;
  for (int cell : path) tokens[cell] = kPath;
  tokens[grid.start] = kStart;
  tokens[grid.goal] = kGoal;
  return tokens;
}

std::vector<std::int32_t> MazeTask::solve(const Puzzle& puzzle) const {
  const MazeGrid grid = grid_of(puzzle.input);
  if (maze_distance(grid, grid.start, grid.goal) < 0) return {};
  return with_path(grid, shortest_path(grid));
}

std::vector<Puzzle> MazeTask::generate(const GenerateOptions& options) const {
  if (options.count < 1) throw Error(spec().to_string() + " generate: count must be at least 1");
  std::vector<Puzzle> puzzles;
  for (int index = 0; index < options.count; ++index) {
    SeededRandom random(options.seed, static_cast<std::uint64_t>(index));
    const MazeGrid grid =
        generate_maze(size_, [&](int bound) { return static_cast<int>(random.below(bound)); });
    Puzzle puzzle;
    puzzle.id = "gen-" + std::to_string(options.seed) + "-" + std::to_string(index);
    puzzle.input = with_path(grid, {});
    puzzle.target = with_path(grid, shortest_path(grid));
    puzzles.push_back(std::move(puzzle));
  }
  return puzzles;
}

}  // namespace

std::unique_ptr<Task> make_maze_task(int size) { return std::make_unique<MazeTask>(size); }

}  // namespace gram::tasks
