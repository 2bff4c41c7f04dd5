#include "tasks/nqueens.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "tasks/nqueens_solver.h"
#include "tasks/seeded_random.h"
#include "tasks/text_file.h"
#include "util/error.h"
#include "util/hash.h"

namespace gram::tasks {
namespace {

constexpr std::int32_t kEmptyToken = 1;
constexpr std::int32_t kQueenToken = 2;
// Instances with an exact completion count are found by drawing again; this bounds the draws
// for a count that the board cannot have.
constexpr int kMaxGenerateTries = 1000;

std::string cell_name(int cell, int size) {
  return "row " + std::to_string(cell / size + 1) + ", column " + std::to_string(cell % size + 1);
}

bool attacks(int first, int second, int size) {
  int row_gap = first / size - second / size;
  int column_gap = first % size - second % size;
  return row_gap == 0 || column_gap == 0 || std::abs(row_gap) == std::abs(column_gap);
}

class NQueensTask final : public Task {
 public:
  explicit NQueensTask(int size) : size_(size) {
    if (size < 4 || size > 12) {
      throw Error("nqueens board side " + std::to_string(size) + " is not supported (4..12)");
    }
  }

  TaskSpec spec() const override { return {"nqueens", size_, 0}; }
  int seq_len() const override { return size_ * size_; }
  int vocab_size() const override { return 3; }
  bool unique_solution() const override { return false; }

  std::vector<Puzzle> read_file(const std::string& path) const override;
  void write_file(const std::string& path, std::span<const Puzzle> puzzles) const override;
  bool is_valid(const Puzzle& puzzle, std::span<const std::int32_t> answer) const override;
  std::string render(std::span<const std::int32_t> answer) const override;
  std::uint64_t answer_hash(std::span<const std::int32_t> answer) const override {
    return fnv1a64_tokens(answer);
  }
  std::int64_t count_solutions(const Puzzle& puzzle, std::int64_t cap) const override;
  std::vector<std::int32_t> solve(const Puzzle& puzzle) const override;
  std::vector<Puzzle> generate(const GenerateOptions& options) const override;

 private:
  int cells() const { return size_ * size_; }
  std::vector<bool> parse_board(const LineReader& reader, Field field, const char* what) const;
  void check_no_attacks(const LineReader& reader, const std::vector<bool>& queens, Field field,
                        const char* what) const;
  Puzzle parse_line(const LineReader& reader) const;
  std::vector<bool> queens_of(const Puzzle& puzzle, const std::vector<std::int32_t>& tokens,
                              const char* what) const;
  std::optional<std::vector<int>> forced_columns(const std::vector<bool>& queens) const;
  std::vector<std::int32_t> placement_tokens(std::span<const int> columns) const;

  int size_;
};

std::vector<bool> NQueensTask::parse_board(const LineReader& reader, Field field,
                                           const char* what) const {
  int length = static_cast<int>(field.text.size());
  if (length != cells()) {
    reader.fail(field.column + std::min(length, cells()),
                std::string(what) + " has " + std::to_string(length) + " cells, expected " +
                    std::to_string(cells()));
  }
  std::vector<bool> queens(cells());
  for (int cell = 0; cell < cells(); ++cell) {
    char symbol = field.text[cell];
    if (symbol != '.' && symbol != 'Q') {
      reader.fail(field.column + cell, "illegal symbol " + quote_symbol(symbol) + " in " + what +
                                           " (expected '.' or 'Q')");
    }
    queens[cell] = symbol == 'Q';
  }
  return queens;
}

void NQueensTask::check_no_attacks(const LineReader& reader, const std::vector<bool>& queens,
                                   Field field, const char* what) const {
  std::vector<int> seen;
  for (int cell = 0; cell < cells(); ++cell) {
    if (!queens[cell]) {
      continue;
    }
    for (int earlier : seen) {
      if (attacks(earlier, cell, size_)) {
        reader.fail(field.column + cell, std::string(what) + " queen at " +
                                             cell_name(cell, size_) + " attacks the queen at " +
                                             cell_name(earlier, size_));
      }
    }
    seen.push_back(cell);
  }
}

Puzzle NQueensTask::parse_line(const LineReader& reader) const {
  std::vector<Field> fields = split_fields(reader.text(), ',');
  if (fields.size() > 2) {
    reader.fail(fields[2].column - 1, "unexpected ',' (expected board[,solution])");
  }
  std::vector<bool> givens = parse_board(reader, fields[0], "board");
  // Counted before the attack check: n + 1 queens always include an attacking pair, and the
  // count is the clearer message.
  int queen_count = 0;
  for (int cell = 0; cell < cells(); ++cell) {
    if (givens[cell] && ++queen_count > size_) {
      reader.fail(fields[0].column + cell, "more than " + std::to_string(size_) + " queens");
    }
  }
  check_no_attacks(reader, givens, fields[0], "given");

  Puzzle puzzle;
  puzzle.id = std::to_string(reader.line_number());
  puzzle.input.resize(cells());
  for (int cell = 0; cell < cells(); ++cell) {
    puzzle.input[cell] = givens[cell] ? kQueenToken : kEmptyToken;
  }
  if (fields.size() == 1) {
    std::optional<std::vector<int>> forced = forced_columns(givens);
    if (!forced || count_queen_placements(size_, *forced, 1) == 0) {
      reader.fail_line("no placement of " + std::to_string(size_) +
                       " queens completes these givens");
    }
    return puzzle;
  }
  Field solution_field = fields[1];
  std::vector<bool> solution = parse_board(reader, solution_field, "solution");
  int solution_queens = static_cast<int>(std::count(solution.begin(), solution.end(), true));
  if (solution_queens != size_) {
    reader.fail(solution_field.column, "solution has " + std::to_string(solution_queens) +
                                           " queens, expected " + std::to_string(size_));
  }
  check_no_attacks(reader, solution, solution_field, "solution");
  for (int cell = 0; cell < cells(); ++cell) {
    if (givens[cell] && !solution[cell]) {
      reader.fail(solution_field.column + cell, "solution has no queen at " +
                                                    cell_name(cell, size_) +
                                                    " where the board gives one");
    }
  }
  puzzle.target.resize(cells());
  for (int cell = 0; cell < cells(); ++cell) {
    puzzle.target[cell] = solution[cell] ? kQueenToken : kEmptyToken;
  }
  return puzzle;
}

std::vector<Puzzle> NQueensTask::read_file(const std::string& path) const {
  return read_puzzle_lines(path, [this](const LineReader& reader) { return parse_line(reader); });
}

std::vector<bool> NQueensTask::queens_of(const Puzzle& puzzle,
                                         const std::vector<std::int32_t>& tokens,
                                         const char* what) const {
  const std::string where = spec().to_string() + ": puzzle '" + puzzle.id + "'";
  if (static_cast<int>(tokens.size()) != cells()) {
    throw Error(where + " has " + std::to_string(tokens.size()) + " " + what +
                " tokens, expected " + std::to_string(cells()));
  }
  std::vector<bool> queens(cells());
  for (int cell = 0; cell < cells(); ++cell) {
    if (tokens[cell] != kEmptyToken && tokens[cell] != kQueenToken) {
      throw Error(where + " has " + what + " token " + std::to_string(tokens[cell]) +
                  " at position " + std::to_string(cell) + " (expected 1 empty or 2 queen)");
    }
    queens[cell] = tokens[cell] == kQueenToken;
  }
  return queens;
}

// The given queen's column per row (-1 for none); nullopt when a row holds two, which no
// completion can keep.
std::optional<std::vector<int>> NQueensTask::forced_columns(const std::vector<bool>& queens) const {
  std::vector<int> forced(size_, -1);
  for (int cell = 0; cell < cells(); ++cell) {
    if (queens[cell]) {
      if (forced[cell / size_] >= 0) {
        return std::nullopt;
      }
      forced[cell / size_] = cell % size_;
    }
  }
  return forced;
}

std::vector<std::int32_t> NQueensTask::placement_tokens(std::span<const int> columns) const {
  std::vector<std::int32_t> tokens(cells(), kEmptyToken);
  for (int row = 0; row < size_; ++row) {
    if (columns[row] >= 0) {
      tokens[row * size_ + columns[row]] = kQueenToken;
    }
  }
  return tokens;
}

void NQueensTask::write_file(const std::string& path, std::span<const Puzzle> puzzles) const {
  std::string text;
  for (const Puzzle& puzzle : puzzles) {
    for (bool queen : queens_of(puzzle, puzzle.input, "input")) {
      text += queen ? 'Q' : '.';
    }
    if (!puzzle.target.empty()) {
      text += ',';
      for (bool queen : queens_of(puzzle, puzzle.target, "target")) {
        text += queen ? 'Q' : '.';
      }
    }
    text += '\n';
  }
  write_text_file(path, text);
}

bool NQueensTask::is_valid(const Puzzle& puzzle, std::span<const std::int32_t> answer) const {
  std::vector<bool> givens = queens_of(puzzle, puzzle.input, "input");
  if (static_cast<int>(answer.size()) != cells()) {
    return false;
  }
  std::uint32_t rows = 0, columns = 0;
  std::uint64_t down_diagonals = 0, up_diagonals = 0;  // indexed by row + column, row - column
  int queen_count = 0;
  for (int cell = 0; cell < cells(); ++cell) {
    std::int32_t token = answer[cell];
    if (token != kEmptyToken && token != kQueenToken) {
      return false;
    }
    if (token == kEmptyToken) {
      if (givens[cell]) {
        return false;
      }
      continue;
    }
    int row = cell / size_;
    int column = cell % size_;
    std::uint32_t row_bit = 1u << row, column_bit = 1u << column;
    std::uint64_t down_bit = 1ull << (row + column);
    std::uint64_t up_bit = 1ull << (row - column + size_ - 1);
    if ((rows & row_bit) || (columns & column_bit) || (down_diagonals & down_bit) ||
        (up_diagonals & up_bit)) {
      return false;
    }
    rows |= row_bit;
    columns |= column_bit;
    down_diagonals |= down_bit;
    up_diagonals |= up_bit;
    ++queen_count;
  }
  return queen_count == size_;
}

std::string NQueensTask::render(std::span<const std::int32_t> answer) const {
  std::string text;
  text.reserve(answer.size());
  for (std::int32_t token : answer) {
    text += token == kQueenToken ? 'Q' : '.';
  }
  return text;
}

std::int64_t NQueensTask::count_solutions(const Puzzle& puzzle, std::int64_t cap) const {
  std::optional<std::vector<int>> forced = forced_columns(queens_of(puzzle, puzzle.input, "input"));
  return forced ? count_queen_placements(size_, *forced, cap) : 0;
}

std::vector<std::int32_t> NQueensTask::solve(const Puzzle& puzzle) const {
  std::optional<std::vector<int>> forced = forced_columns(queens_of(puzzle, puzzle.input, "input"));
  std::vector<std::int32_t> solution;
  if (forced) {
    for_each_queen_placement(size_, *forced, [&](std::span<const int> columns) {
      solution = placement_tokens(columns);
      return false;
    });
  }
  return solution;
}

std::vector<Puzzle> NQueensTask::generate(const GenerateOptions& options) const {
  const std::string where = spec().to_string() + " generate: ";
  if (options.count < 1) {
    throw Error(where + "count must be at least 1");
  }
  if (options.removed < 0 || options.removed > size_) {
    throw Error(where + "removed must be 0.." + std::to_string(size_) + ", got " +
                std::to_string(options.removed));
  }
  if (options.solutions < 0) {
    throw Error(where + "solutions must be >= 0, got " + std::to_string(options.solutions));
  }
  // At most 14,200 placements of 12 columns: listing them all makes the draw exactly uniform.
  std::vector<std::vector<int>> placements;
  std::vector<int> no_givens(size_, -1);
  for_each_queen_placement(size_, no_givens, [&](std::span<const int> columns) {
    placements.emplace_back(columns.begin(), columns.end());
    return true;
  });

  std::vector<Puzzle> puzzles;
  for (int index = 0; index < options.count; ++index) {
    SeededRandom random(options.seed, static_cast<std::uint64_t>(index));
    bool found = false;
    for (int attempt = 0; attempt < kMaxGenerateTries && !found; ++attempt) {
      const std::vector<int>& placement = placements[random.below(placements.size())];
      std::vector<int> rows(size_);
      for (int row = 0; row < size_; ++row) {
        rows[row] = row;
      }
      random.shuffle(rows);
      std::vector<int> kept = placement;
      for (int i = 0; i < options.removed; ++i) {
        kept[rows[i]] = -1;
      }
      if (options.solutions > 0 &&
          count_queen_placements(size_, kept, options.solutions + 1) != options.solutions) {
        continue;
      }
      Puzzle puzzle;
      puzzle.id = "gen-" + std::to_string(options.seed) + "-" + std::to_string(index);
      puzzle.input = placement_tokens(kept);
      puzzle.target = placement_tokens(placement);
      puzzles.push_back(std::move(puzzle));
      found = true;
    }
    if (!found) {
      throw Error(where + "no instance with " + std::to_string(options.removed) +
                  " queens removed has exactly " + std::to_string(options.solutions) +
                  " solutions after " + std::to_string(kMaxGenerateTries) + " tries");
    }
  }
  return puzzles;
}

}  // namespace

std::unique_ptr<Task> make_nqueens_task(int size) { return std::make_unique<NQueensTask>(size); }

}  // namespace gram::tasks
