#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "task_test_helpers.h"
#include "tasks/task.h"
#include "util/hash.h"

namespace gram::tasks {
namespace {

using testing::error_message;
using testing::write_temp_file;

// The puzzle from Wikipedia's Sudoku article and its unique solution.
const std::string kPuzzle =
    "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79";
const std::string kSolution =
    "534678912672195348198342567859761423426853791713924856961537284287419635345286179";

std::vector<std::int32_t> tokens_of(const std::string& board) {
  std::vector<std::int32_t> tokens;
  for (char symbol : board) {
    tokens.push_back(symbol == '.' ? 1 : symbol - '0' + 1);
  }
  return tokens;
}

Puzzle puzzle_of(const std::string& board) { return Puzzle{"test", tokens_of(board), {}}; }

class SudokuTest : public ::testing::Test {
 protected:
  std::unique_ptr<Task> task_ = make_task(TaskSpec::parse("sudoku:9"));

  // The error raised by reading a file with `contents`; checks it names the file.
  std::string read_error(const std::string& contents) {
    std::string path = write_temp_file("bad.txt", contents);
    std::string message = error_message([&] { task_->read_file(path); });
    EXPECT_EQ(message.rfind(path + ":", 0), 0u) << message;
    return message;
  }
};

TEST_F(SudokuTest, AcceptsTheKnownSolution) {
  EXPECT_TRUE(task_->is_valid(puzzle_of(kPuzzle), tokens_of(kSolution)));
}

TEST_F(SudokuTest, RejectsBrokenAnswers) {
  Puzzle puzzle = puzzle_of(kPuzzle);
  std::vector<std::int32_t> repeated = tokens_of(kSolution);
  std::swap(repeated[2], repeated[3]);  // the columns now hold a digit twice
  EXPECT_FALSE(task_->is_valid(puzzle, repeated));

  // Swapping digits 1 and 2 everywhere gives another full grid, but not this puzzle's.
  std::string relabelled = kSolution;
  for (char& symbol : relabelled) {
    symbol = symbol == '1' ? '2' : symbol == '2' ? '1' : symbol;
  }
  EXPECT_TRUE(task_->is_valid(puzzle_of(std::string(81, '.')), tokens_of(relabelled)));
  EXPECT_FALSE(task_->is_valid(puzzle, tokens_of(relabelled)));

  std::vector<std::int32_t> with_blank = tokens_of(kSolution);
  with_blank[40] = 1;
  EXPECT_FALSE(task_->is_valid(puzzle, with_blank));
  std::vector<std::int32_t> with_pad = tokens_of(kSolution);
  with_pad[80] = 0;
  EXPECT_FALSE(task_->is_valid(puzzle, with_pad));
  std::vector<std::int32_t> short_answer = tokens_of(kSolution);
  short_answer.pop_back();
  EXPECT_FALSE(task_->is_valid(puzzle, short_answer));
}

TEST_F(SudokuTest, SixBySixBoxesAreTwoRowsByThreeColumns) {
  auto task = make_task(TaskSpec::parse("sudoku:6"));
  const std::string grid = "123456456123231564564231312645645312";
  // The transpose keeps rows and columns legal but its boxes are 3 rows x 2 columns.
  const std::string transposed = "142536253614361425415263526341634152";
  Puzzle empty = puzzle_of(std::string(36, '.'));
  EXPECT_TRUE(task->is_valid(empty, tokens_of(grid)));
  EXPECT_FALSE(task->is_valid(empty, tokens_of(transposed)));
}

TEST_F(SudokuTest, RendersDigitsAndDotsAndHashesTheTokens) {
  EXPECT_EQ(task_->render(tokens_of(kSolution)), kSolution);
  EXPECT_EQ(task_->render(tokens_of(kPuzzle)), kPuzzle);
  std::vector<std::int32_t> answer = tokens_of(kSolution);
  EXPECT_EQ(task_->answer_hash(answer), fnv1a64_tokens(answer));
  std::vector<std::int32_t> other = answer;
  std::swap(other[0], other[1]);
  EXPECT_NE(task_->answer_hash(answer), task_->answer_hash(other));
}

TEST_F(SudokuTest, CountsAndSolves) {
  Puzzle puzzle = puzzle_of(kPuzzle);
  EXPECT_EQ(task_->count_solutions(puzzle, 10), 1);
  EXPECT_EQ(task_->solve(puzzle), tokens_of(kSolution));

  auto small = make_task(TaskSpec::parse("sudoku:4"));
  EXPECT_EQ(small->count_solutions(puzzle_of(std::string(16, '.')), 1000), 288);
  EXPECT_EQ(task_->count_solutions(puzzle_of(std::string(81, '.')), 50), 50);

  std::string clash = kPuzzle;
  clash[2] = '5';  // a second 5 in the first row
  EXPECT_EQ(task_->count_solutions(puzzle_of(clash), 10), 0);
  EXPECT_TRUE(task_->solve(puzzle_of(clash)).empty());
}

TEST_F(SudokuTest, ReadsPlainFilesWithOptionalSolutions) {
  std::string zeros = kPuzzle;
  std::replace(zeros.begin(), zeros.end(), '.', '0');
  std::string path = write_temp_file(
      "plain.txt", "# two puzzles\n\n" + kPuzzle + "\n" + zeros + "," + kSolution + "\r\n");
  std::vector<Puzzle> puzzles = task_->read_file(path);
  ASSERT_EQ(puzzles.size(), 2u);
  EXPECT_EQ(puzzles[0].id, "3");
  EXPECT_EQ(puzzles[0].input, tokens_of(kPuzzle));
  EXPECT_TRUE(puzzles[0].target.empty());
  EXPECT_EQ(puzzles[1].id, "4");
  EXPECT_EQ(puzzles[1].input, tokens_of(kPuzzle));
  EXPECT_EQ(puzzles[1].target, tokens_of(kSolution));
}

TEST_F(SudokuTest, ReadsSudokuExtremeCsv) {
  std::string path = write_temp_file(
      "extreme.csv", "source,q,a,rating\nkaggle_7," + kPuzzle + "," + kSolution + ",12\n");
  std::vector<Puzzle> puzzles = task_->read_file(path);
  ASSERT_EQ(puzzles.size(), 1u);
  EXPECT_EQ(puzzles[0].id, "kaggle_7:2");
  EXPECT_EQ(puzzles[0].input, tokens_of(kPuzzle));
  EXPECT_EQ(puzzles[0].target, tokens_of(kSolution));
}

TEST_F(SudokuTest, ReportsWrongLength) {
  EXPECT_NE(read_error("# comment\n" + kPuzzle.substr(0, 80) + "\n")
                .find(":2:81: puzzle has 80 cells, expected 81"),
            std::string::npos);
  EXPECT_NE(read_error(kPuzzle + "1\n").find(":1:82: puzzle has 82 cells"), std::string::npos);
  EXPECT_NE(read_error(kPuzzle + "," + kSolution.substr(0, 80) + "\n")
                .find(":1:163: solution has 80 cells"),
            std::string::npos);
}

TEST_F(SudokuTest, ReportsIllegalSymbols) {
  std::string bad = kPuzzle;
  bad[36] = 'x';
  EXPECT_NE(read_error(bad + "\n").find(":1:37: illegal symbol 'x' (expected 1-9, '.' or '0')"),
            std::string::npos);
  std::string bad_solution = kSolution;
  bad_solution[5] = '.';
  EXPECT_NE(read_error(kPuzzle + "," + bad_solution + "\n")
                .find(":1:88: illegal symbol '.' in solution (expected 1-9)"),
            std::string::npos);
  EXPECT_NE(read_error(kPuzzle + "," + kSolution + ",x\n").find(":1:164: unexpected ','"),
            std::string::npos);
}

TEST_F(SudokuTest, ReportsContradictingGivensByCell) {
  std::string row = kPuzzle;
  row[2] = '3';
  EXPECT_NE(read_error(row + "\n").find(":1:3: given digit 3 at row 1, column 3 repeats the 3 at "
                                        "row 1, column 2 in the same row"),
            std::string::npos);
  std::string column = kPuzzle;
  column[18] = '5';
  EXPECT_NE(read_error(column + "\n").find(":1:19: given digit 5 at row 3, column 1 repeats the "
                                           "5 at row 1, column 1 in the same column"),
            std::string::npos);
  std::string box = kPuzzle;
  box[11] = '3';
  EXPECT_NE(read_error(box + "\n").find(":1:12: given digit 3 at row 2, column 3 repeats the 3 "
                                        "at row 1, column 2 in the same box"),
            std::string::npos);
}

TEST_F(SudokuTest, ReportsBadSolutions) {
  std::string repeated = kSolution;
  repeated[80] = '1';
  EXPECT_NE(read_error(kPuzzle + "," + repeated + "\n")
                .find(":1:163: solution digit 1 at row 9, column 9 repeats the 1 at row 9, "
                      "column 7 in the same row"),
            std::string::npos);
  std::string relabelled = kSolution;
  for (char& symbol : relabelled) {
    symbol = symbol == '1' ? '2' : symbol == '2' ? '1' : symbol;
  }
  EXPECT_NE(read_error(kPuzzle + "," + relabelled + "\n")
                .find(":1:95: solution has 2 at row 2, column 4 where the puzzle gives 1"),
            std::string::npos);
}

TEST_F(SudokuTest, ReportsCsvErrorsAtTheirColumn) {
  EXPECT_NE(read_error("source,q,a,rating\nsrc," + kPuzzle + "," + kSolution + "\n")
                .find(":2: expected 4 fields (source,q,a,rating), found 3"),
            std::string::npos);
  std::string bad = kPuzzle;
  bad[36] = 'x';
  EXPECT_NE(read_error("source,q,a,rating\nabc," + bad + "," + kSolution + ",3\n")
                .find(":2:41: illegal symbol 'x'"),
            std::string::npos);
}

TEST_F(SudokuTest, ReportsEmptyAndMissingFiles) {
  EXPECT_NE(read_error("# nothing here\n\n").find(": no puzzles"), std::string::npos);
  std::string missing = testing::temp_path("missing.txt");
  std::filesystem::remove(missing);
  EXPECT_EQ(error_message([&] { task_->read_file(missing); }), missing + ": cannot open");
  std::string folder = std::filesystem::temp_directory_path().string();
  EXPECT_EQ(error_message([&] { task_->read_file(folder); }), folder + ": cannot open");
}

TEST_F(SudokuTest, WriteThenReadGivesTheSamePuzzles) {
  std::vector<Puzzle> puzzles = {Puzzle{"a", tokens_of(kPuzzle), tokens_of(kSolution)},
                                 Puzzle{"b", tokens_of(kPuzzle), {}}};
  std::string path = testing::temp_path("round_trip.txt");
  task_->write_file(path, puzzles);
  std::vector<Puzzle> read_back = task_->read_file(path);
  ASSERT_EQ(read_back.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(read_back[i].input, puzzles[i].input);
    EXPECT_EQ(read_back[i].target, puzzles[i].target);
  }
}

TEST_F(SudokuTest, WriteRejectsMalformedPuzzles) {
  std::vector<Puzzle> puzzles = {Puzzle{"short", std::vector<std::int32_t>(80, 1), {}}};
  std::string path = testing::temp_path("bad_write.txt");
  EXPECT_NE(error_message([&] { task_->write_file(path, puzzles); })
                .find("sudoku:9: puzzle 'short' has 80 input tokens, expected 81"),
            std::string::npos);
}

TEST_F(SudokuTest, SolvesEveryTop95PuzzleWithExactlyOneSolution) {
  std::string path = GRAM_SOURCE_DIR "/../shared/data/sudoku/top95.txt";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "top95.txt not found at " << path;
  }
  std::vector<Puzzle> puzzles = task_->read_file(path);
  ASSERT_EQ(puzzles.size(), 95u);
  for (const Puzzle& puzzle : puzzles) {
    std::vector<std::int32_t> solution = task_->solve(puzzle);
    EXPECT_TRUE(task_->is_valid(puzzle, solution)) << "puzzle " << puzzle.id;
    EXPECT_EQ(task_->count_solutions(puzzle, 2), 1) << "puzzle " << puzzle.id;
  }
}

TEST_F(SudokuTest, GeneratorIsSeededAndUnique) {
  GenerateOptions options;
  options.seed = 11;
  options.count = 3;
  std::vector<Puzzle> first = task_->generate(options);
  std::vector<Puzzle> again = task_->generate(options);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].id, "gen-11-0");
  EXPECT_EQ(first[2].id, "gen-11-2");
  std::set<std::vector<std::int32_t>> distinct;
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].input, again[i].input);
    EXPECT_EQ(first[i].target, again[i].target);
    EXPECT_EQ(task_->count_solutions(first[i], 2), 1);
    EXPECT_TRUE(task_->is_valid(first[i], first[i].target));
    distinct.insert(first[i].input);
  }
  EXPECT_EQ(distinct.size(), 3u);
  options.seed = 12;
  EXPECT_NE(task_->generate(options)[0].input, first[0].input);
}

TEST_F(SudokuTest, GeneratorStopsAtTheRequestedGivens) {
  GenerateOptions options;
  options.seed = 3;
  options.count = 2;
  options.givens = 40;
  for (const Puzzle& puzzle : task_->generate(options)) {
    EXPECT_EQ(std::count_if(puzzle.input.begin(), puzzle.input.end(),
                            [](std::int32_t token) { return token >= 2; }),
              40);
    EXPECT_EQ(task_->count_solutions(puzzle, 2), 1);
  }
}

TEST_F(SudokuTest, GeneratesSmallBoards) {
  for (const char* spec : {"sudoku:4", "sudoku:6"}) {
    auto task = make_task(TaskSpec::parse(spec));
    GenerateOptions options;
    options.seed = 5;
    options.count = 4;
    for (const Puzzle& puzzle : task->generate(options)) {
      EXPECT_EQ(task->count_solutions(puzzle, 2), 1) << spec;
      EXPECT_TRUE(task->is_valid(puzzle, puzzle.target)) << spec;
    }
  }
}

TEST_F(SudokuTest, GeneratorRejectsBadOptions) {
  GenerateOptions options;
  options.count = 0;
  EXPECT_NE(error_message([&] { task_->generate(options); }).find("count must be at least 1"),
            std::string::npos);
  options.count = 1;
  options.givens = 82;
  EXPECT_NE(error_message([&] { task_->generate(options); }).find("givens must be 0..81"),
            std::string::npos);
}

}  // namespace
}  // namespace gram::tasks
