#include "tasks/sudoku.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "tasks/seeded_random.h"
#include "tasks/sudoku_solver.h"
#include "tasks/text_file.h"
#include "util/error.h"
#include "util/hash.h"

namespace gram::tasks {
namespace {

constexpr std::int32_t kBlankToken = 1;  // digit d is token d + 1
constexpr std::string_view kCsvHeader = "source,q,a,rating";

std::string cell_name(int cell, int size) {
  return "row " + std::to_string(cell / size + 1) + ", column " + std::to_string(cell % size + 1);
}

class SudokuTask final : public Task {
 public:
  explicit SudokuTask(int size) : geometry_(SudokuGeometry::for_size(size)) {}

  TaskSpec spec() const override { return {"sudoku", geometry_.size, 0}; }
  int seq_len() const override { return geometry_.cells(); }
  int vocab_size() const override { return geometry_.size + 2; }
  bool unique_solution() const override { return true; }

  std::vector<Puzzle> read_file(const std::string& path) const override;
  void write_file(const std::string& path, std::span<const Puzzle> puzzles) const override;
  bool is_valid(const Puzzle& puzzle, std::span<const std::int32_t> answer) const override;
  std::string render(std::span<const std::int32_t> answer) const override;
  std::uint64_t answer_hash(std::span<const std::int32_t> answer) const override {
    return fnv1a64_tokens(answer);
  }
  std::int64_t count_solutions(const Puzzle& puzzle, std::int64_t cap) const override {
    return count_sudoku_solutions(geometry_, input_cells(puzzle), cap);
  }
  std::vector<std::int32_t> solve(const Puzzle& puzzle) const override;
  std::vector<Puzzle> generate(const GenerateOptions& options) const override;

 private:
  std::string digit_range() const { return "1-" + std::to_string(geometry_.size); }
  std::vector<int> parse_board(const LineReader& reader, Field field, bool is_solution) const;
  void check_units(const LineReader& reader, const std::vector<int>& cells, Field field,
                   const char* what) const;
  Puzzle parse_puzzle(const LineReader& reader, Field puzzle_field,
                      std::optional<Field> solution_field, std::string id) const;
  std::vector<int> input_cells(const Puzzle& puzzle) const;
  std::vector<int> target_cells(const Puzzle& puzzle) const;
  std::vector<std::int32_t> to_tokens(const std::vector<int>& cells) const;

  SudokuGeometry geometry_;
};

std::vector<int> SudokuTask::parse_board(const LineReader& reader, Field field,
                                         bool is_solution) const {
  const int cells = geometry_.cells();
  const char* what = is_solution ? "solution" : "puzzle";
  int length = static_cast<int>(field.text.size());
  if (length != cells) {
    reader.fail(field.column + std::min(length, cells), std::string(what) + " has " +
                                                            std::to_string(length) +
                                                            " cells, expected " +
                                                            std::to_string(cells));
  }
  std::vector<int> board(cells);
  for (int cell = 0; cell < cells; ++cell) {
    char symbol = field.text[cell];
    if (symbol >= '1' && symbol <= '0' + geometry_.size) {
      board[cell] = symbol - '0';
    } else if (!is_solution && (symbol == '.' || symbol == '0')) {
      board[cell] = 0;
    } else if (is_solution) {
      reader.fail(field.column + cell, "illegal symbol " + quote_symbol(symbol) +
                                           " in solution (expected " + digit_range() + ")");
    } else {
      reader.fail(field.column + cell, "illegal symbol " + quote_symbol(symbol) + " (expected " +
                                           digit_range() + ", '.' or '0')");
    }
  }
  return board;
}

// A digit may appear once per row, column and box; the error names both cells.
void SudokuTask::check_units(const LineReader& reader, const std::vector<int>& cells, Field field,
                             const char* what) const {
  const int n = geometry_.size;
  // first_seen[unit kind][unit][digit] = the first cell holding that digit there, or -1
  std::vector<int> first_seen(3 * n * (n + 1), -1);
  const char* unit_names[3] = {"row", "column", "box"};
  for (int cell = 0; cell < geometry_.cells(); ++cell) {
    int digit = cells[cell];
    if (digit == 0) {
      continue;
    }
    int row = cell / n;
    int column = cell % n;
    int units[3] = {row, column, geometry_.box_of(row, column)};
    for (int kind = 0; kind < 3; ++kind) {
      int& seen = first_seen[(kind * n + units[kind]) * (n + 1) + digit];
      if (seen >= 0) {
        reader.fail(field.column + cell,
                    std::string(what) + " digit " + std::to_string(digit) + " at " +
                        cell_name(cell, n) + " repeats the " + std::to_string(digit) + " at " +
                        cell_name(seen, n) + " in the same " + unit_names[kind]);
      }
      seen = cell;
    }
  }
}

Puzzle SudokuTask::parse_puzzle(const LineReader& reader, Field puzzle_field,
                                std::optional<Field> solution_field, std::string id) const {
  std::vector<int> givens = parse_board(reader, puzzle_field, false);
  check_units(reader, givens, puzzle_field, "given");
  Puzzle puzzle;
  puzzle.id = std::move(id);
  puzzle.input = to_tokens(givens);
  if (solution_field) {
    std::vector<int> solution = parse_board(reader, *solution_field, true);
    check_units(reader, solution, *solution_field, "solution");
    for (int cell = 0; cell < geometry_.cells(); ++cell) {
      if (givens[cell] != 0 && solution[cell] != givens[cell]) {
        reader.fail(solution_field->column + cell,
                    "solution has " + std::to_string(solution[cell]) + " at " +
                        cell_name(cell, geometry_.size) + " where the puzzle gives " +
                        std::to_string(givens[cell]));
      }
    }
    puzzle.target = to_tokens(solution);
  }
  return puzzle;
}

std::vector<Puzzle> SudokuTask::read_file(const std::string& path) const {
  LineReader reader(path);
  std::vector<Puzzle> puzzles;
  bool is_csv = false;
  while (reader.next()) {
    if (reader.line_number() == 1 && reader.text() == kCsvHeader) {
      is_csv = true;
      continue;
    }
    if (reader.is_skippable()) {
      continue;
    }
    std::vector<Field> fields = split_fields(reader.text(), ',');
    std::string line = std::to_string(reader.line_number());
    if (is_csv) {
      if (fields.size() != 4) {
        reader.fail_line("expected 4 fields (" + std::string(kCsvHeader) + "), found " +
                         std::to_string(fields.size()));
      }
      std::optional<Field> answer;
      if (!fields[2].text.empty()) {
        answer = fields[2];
      }
      puzzles.push_back(
          parse_puzzle(reader, fields[1], answer, std::string(fields[0].text) + ":" + line));
    } else {
      if (fields.size() > 2) {
        reader.fail(fields[2].column - 1, "unexpected ',' (expected puzzle[,solution])");
      }
      std::optional<Field> solution;
      if (fields.size() == 2) {
        solution = fields[1];
      }
      puzzles.push_back(parse_puzzle(reader, fields[0], solution, line));
    }
  }
  if (puzzles.empty()) {
    throw Error(path + ": no puzzles");
  }
  return puzzles;
}

std::vector<int> SudokuTask::input_cells(const Puzzle& puzzle) const {
  const std::string where = spec().to_string() + ": puzzle '" + puzzle.id + "'";
  if (static_cast<int>(puzzle.input.size()) != geometry_.cells()) {
    throw Error(where + " has " + std::to_string(puzzle.input.size()) + " input tokens, expected " +
                std::to_string(geometry_.cells()));
  }
  std::vector<int> cells(geometry_.cells());
  for (int cell = 0; cell < geometry_.cells(); ++cell) {
    std::int32_t token = puzzle.input[cell];
    if (token < kBlankToken || token > geometry_.size + 1) {
      throw Error(where + " has input token " + std::to_string(token) + " at position " +
                  std::to_string(cell) + " (expected 1 for blank or a digit token 2.." +
                  std::to_string(geometry_.size + 1) + ")");
    }
    cells[cell] = token - 1;
  }
  return cells;
}

std::vector<int> SudokuTask::target_cells(const Puzzle& puzzle) const {
  const std::string where = spec().to_string() + ": puzzle '" + puzzle.id + "'";
  if (static_cast<int>(puzzle.target.size()) != geometry_.cells()) {
    throw Error(where + " has " + std::to_string(puzzle.target.size()) +
                " target tokens, expected " + std::to_string(geometry_.cells()));
  }
  std::vector<int> cells(geometry_.cells());
  for (int cell = 0; cell < geometry_.cells(); ++cell) {
    std::int32_t token = puzzle.target[cell];
    if (token < 2 || token > geometry_.size + 1) {
      throw Error(where + " has target token " + std::to_string(token) + " at position " +
                  std::to_string(cell) + " (expected a digit token 2.." +
                  std::to_string(geometry_.size + 1) + ")");
    }
    cells[cell] = token - 1;
  }
  return cells;
}

std::vector<std::int32_t> SudokuTask::to_tokens(const std::vector<int>& cells) const {
  std::vector<std::int32_t> tokens(cells.size());
  for (std::size_t cell = 0; cell < cells.size(); ++cell) {
    tokens[cell] = cells[cell] == 0 ? kBlankToken : cells[cell] + 1;
  }
  return tokens;
}

void SudokuTask::write_file(const std::string& path, std::span<const Puzzle> puzzles) const {
  std::string text;
  for (const Puzzle& puzzle : puzzles) {
    for (int digit : input_cells(puzzle)) {
      text += digit == 0 ? '.' : static_cast<char>('0' + digit);
    }
    if (!puzzle.target.empty()) {
      text += ',';
      for (int digit : target_cells(puzzle)) {
        text += static_cast<char>('0' + digit);
      }
    }
    text += '\n';
  }
  write_text_file(path, text);
}

bool SudokuTask::is_valid(const Puzzle& puzzle, std::span<const std::int32_t> answer) const {
  std::vector<int> givens = input_cells(puzzle);
  const int n = geometry_.size;
  if (static_cast<int>(answer.size()) != geometry_.cells()) {
    return false;
  }
  std::vector<std::uint32_t> row_used(n, 0), column_used(n, 0), box_used(n, 0);
  for (int cell = 0; cell < geometry_.cells(); ++cell) {
    std::int32_t token = answer[cell];
    if (token < 2 || token > n + 1) {
      return false;
    }
    int digit = token - 1;
    if (givens[cell] != 0 && givens[cell] != digit) {
      return false;
    }
    std::uint32_t bit = 1u << (digit - 1);
    int row = cell / n;
    int column = cell % n;
    int box = geometry_.box_of(row, column);
    // n digits per unit with no repeat is a permutation of 1..n.
    if ((row_used[row] | column_used[column] | box_used[box]) & bit) {
      return false;
    }
    row_used[row] |= bit;
    column_used[column] |= bit;
    box_used[box] |= bit;
  }
  return true;
}

std::string SudokuTask::render(std::span<const std::int32_t> answer) const {
  std::string text;
  text.reserve(answer.size());
  for (std::int32_t token : answer) {
    bool is_digit = token >= 2 && token <= geometry_.size + 1;
    text += is_digit ? static_cast<char>('0' + token - 1) : '.';
  }
  return text;
}

std::vector<std::int32_t> SudokuTask::solve(const Puzzle& puzzle) const {
  std::vector<int> solution;
  if (count_sudoku_solutions(geometry_, input_cells(puzzle), 1, &solution) == 0) {
    return {};
  }
  return to_tokens(solution);
}

std::vector<Puzzle> SudokuTask::generate(const GenerateOptions& options) const {
  const int cells = geometry_.cells();
  if (options.count < 1) {
    throw Error("sudoku generate: count must be at least 1");
  }
  if (options.givens < 0 || options.givens > cells) {
    throw Error("sudoku generate: givens must be 0.." + std::to_string(cells) + ", got " +
                std::to_string(options.givens));
  }
  std::vector<Puzzle> puzzles;
  for (int index = 0; index < options.count; ++index) {
    SeededRandom random(options.seed, static_cast<std::uint64_t>(index));
    std::vector<int> solution = random_sudoku_grid(geometry_, random);
    std::vector<int> board = solution;
    std::vector<int> order(cells);
    for (int cell = 0; cell < cells; ++cell) {
      order[cell] = cell;
    }
    random.shuffle(order);
    // Every subset of a full grid's digits has that grid as a solution, so "still unique"
    // means "still exactly one", and that one is `solution`.
    int givens = cells;
    for (int cell : order) {
      if (options.givens > 0 && givens <= options.givens) {
        break;
      }
      int digit = board[cell];
      board[cell] = 0;
      if (count_sudoku_solutions(geometry_, board, 2) == 1) {
        --givens;
      } else {
        board[cell] = digit;
      }
    }
    Puzzle puzzle;
    puzzle.id = "gen-" + std::to_string(options.seed) + "-" + std::to_string(index);
    puzzle.input = to_tokens(board);
    puzzle.target = to_tokens(solution);
    puzzles.push_back(std::move(puzzle));
  }
  return puzzles;
}

}  // namespace

std::unique_ptr<Task> make_sudoku_task(int size) { return std::make_unique<SudokuTask>(size); }

}  // namespace gram::tasks
