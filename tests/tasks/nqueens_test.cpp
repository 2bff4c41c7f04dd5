#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "task_test_helpers.h"
#include "tasks/task.h"
#include "util/hash.h"

namespace gram::tasks {
namespace {

using testing::error_message;
using testing::write_temp_file;

// Board text for queens at `columns[row]` (-1: no queen in that row).
std::string board_of(const std::vector<int>& columns) {
  int size = static_cast<int>(columns.size());
  std::string board(size * size, '.');
  for (int row = 0; row < size; ++row) {
    if (columns[row] >= 0) {
      board[row * size + columns[row]] = 'Q';
    }
  }
  return board;
}

std::vector<std::int32_t> tokens_of(const std::string& board) {
  std::vector<std::int32_t> tokens;
  for (char symbol : board) {
    tokens.push_back(symbol == 'Q' ? 2 : 1);
  }
  return tokens;
}

const std::vector<int> kSolution = {0, 4, 7, 5, 2, 6, 1, 3};  // a known 8-queens solution

class NQueensTest : public ::testing::Test {
 protected:
  std::unique_ptr<Task> task_ = make_task(TaskSpec::parse("nqueens:8"));

  Puzzle puzzle_of(const std::vector<int>& columns) {
    return Puzzle{"test", tokens_of(board_of(columns)), {}};
  }
  std::string read_error(const std::string& contents, Task* task = nullptr) {
    std::string path = write_temp_file("bad.txt", contents);
    std::string message = error_message([&] { (task ? task : task_.get())->read_file(path); });
    EXPECT_EQ(message.rfind(path + ":", 0), 0u) << message;
    return message;
  }
};

TEST_F(NQueensTest, CountsEmptyBoards) {
  const std::pair<int, int> expected[] = {{4, 2}, {5, 10}, {6, 4}, {8, 92}, {12, 14200}};
  for (auto [size, count] : expected) {
    auto task = make_task(TaskSpec{"nqueens", size, 0});
    Puzzle empty{"empty", std::vector<std::int32_t>(size * size, 1), {}};
    EXPECT_EQ(task->count_solutions(empty, 1000000), count) << "n = " << size;
  }
  Puzzle empty{"empty", std::vector<std::int32_t>(64, 1), {}};
  EXPECT_EQ(task_->count_solutions(empty, 10), 10);
}

TEST_F(NQueensTest, CountsCompletionsOfGivens) {
  EXPECT_EQ(task_->count_solutions(puzzle_of(kSolution), 10), 1);
  std::vector<int> attacking = {0, 1, -1, -1, -1, -1, -1, -1};
  EXPECT_EQ(task_->count_solutions(puzzle_of(attacking), 10), 0);
  EXPECT_TRUE(task_->solve(puzzle_of(attacking)).empty());
  // Four of the known solution's queens: the known solution is among the completions.
  std::vector<int> partial = {0, 4, 7, 5, -1, -1, -1, -1};
  std::int64_t count = task_->count_solutions(puzzle_of(partial), 100);
  EXPECT_GE(count, 1);
  std::vector<std::int32_t> solved = task_->solve(puzzle_of(partial));
  EXPECT_TRUE(task_->is_valid(puzzle_of(partial), solved));
}

TEST_F(NQueensTest, AcceptsAKnownSolution) {
  std::vector<int> partial = kSolution;
  partial[3] = partial[6] = -1;
  EXPECT_TRUE(task_->is_valid(puzzle_of(partial), tokens_of(board_of(kSolution))));
}

TEST_F(NQueensTest, RejectsBrokenAnswers) {
  Puzzle puzzle = puzzle_of({0, -1, -1, -1, -1, -1, -1, -1});
  // Every queen on one diagonal: one per row and column, but all attacking.
  EXPECT_FALSE(task_->is_valid(puzzle, tokens_of(board_of({0, 1, 2, 3, 4, 5, 6, 7}))));
  std::vector<int> seven = kSolution;
  seven[7] = -1;
  EXPECT_FALSE(task_->is_valid(puzzle, tokens_of(board_of(seven))));
  // A valid placement that drops the given queen at row 1, column 1.
  EXPECT_FALSE(task_->is_valid(puzzle, tokens_of(board_of({7, 3, 0, 2, 5, 1, 6, 4}))));
  EXPECT_TRUE(task_->is_valid(puzzle_of({-1, -1, -1, -1, -1, -1, -1, -1}),
                              tokens_of(board_of({7, 3, 0, 2, 5, 1, 6, 4}))));
  std::vector<std::int32_t> with_pad = tokens_of(board_of(kSolution));
  with_pad[1] = 0;
  EXPECT_FALSE(task_->is_valid(puzzle, with_pad));
  std::vector<std::int32_t> too_short = tokens_of(board_of(kSolution));
  too_short.pop_back();
  EXPECT_FALSE(task_->is_valid(puzzle, too_short));
}

TEST_F(NQueensTest, RendersAndHashes) {
  std::vector<std::int32_t> answer = tokens_of(board_of(kSolution));
  EXPECT_EQ(task_->render(answer), board_of(kSolution));
  EXPECT_EQ(task_->answer_hash(answer), fnv1a64_tokens(answer));
  EXPECT_NE(task_->answer_hash(answer),
            task_->answer_hash(tokens_of(board_of({7, 3, 0, 2, 5, 1, 6, 4}))));
}

TEST_F(NQueensTest, ReadsInstancesWithOptionalSolutions) {
  std::vector<int> partial = kSolution;
  partial[0] = partial[5] = -1;
  std::string path = write_temp_file(
      "queens.txt", "# 8-queens\n" + board_of(partial) + "\n\n" + board_of(partial) + "," +
                        board_of(kSolution) + "\n");
  std::vector<Puzzle> puzzles = task_->read_file(path);
  ASSERT_EQ(puzzles.size(), 2u);
  EXPECT_EQ(puzzles[0].id, "2");
  EXPECT_EQ(puzzles[0].input, tokens_of(board_of(partial)));
  EXPECT_TRUE(puzzles[0].target.empty());
  EXPECT_EQ(puzzles[1].id, "4");
  EXPECT_EQ(puzzles[1].target, tokens_of(board_of(kSolution)));
}

TEST_F(NQueensTest, ReportsBoardErrorsAtTheirColumn) {
  std::string empty(64, '.');
  EXPECT_NE(read_error("# x\n" + empty.substr(1) + "\n").find(":2:64: board has 63 cells"),
            std::string::npos);
  std::string illegal = empty;
  illegal[10] = 'q';
  EXPECT_NE(read_error(illegal + "\n").find(":1:11: illegal symbol 'q' in board (expected '.' or "
                                            "'Q')"),
            std::string::npos);
  EXPECT_NE(read_error(board_of({0, 1, -1, -1, -1, -1, -1, -1}) + "\n")
                .find(":1:10: given queen at row 2, column 2 attacks the queen at row 1, column 1"),
            std::string::npos);
  std::string crowded = "QQQQQQQQQ" + std::string(55, '.');
  EXPECT_NE(read_error(crowded + "\n").find(":1:9: more than 8 queens"), std::string::npos);
  EXPECT_NE(read_error(board_of(kSolution) + "," + board_of(kSolution) + ",\n")
                .find(":1:130: unexpected ','"),
            std::string::npos);
}

TEST_F(NQueensTest, ReportsSolutionErrorsAtTheirColumn) {
  std::string empty(64, '.');
  std::vector<int> seven = kSolution;
  seven[7] = -1;
  EXPECT_NE(read_error(empty + "," + board_of(seven) + "\n")
                .find(":1:66: solution has 7 queens, expected 8"),
            std::string::npos);
  EXPECT_NE(read_error(empty + "," + board_of({0, 1, 2, 3, 4, 5, 6, 7}) + "\n")
                .find(":1:75: solution queen at row 2, column 2 attacks the queen at row 1, "
                      "column 1"),
            std::string::npos);
  EXPECT_NE(read_error(board_of({1, -1, -1, -1, -1, -1, -1, -1}) + "," + board_of(kSolution) +
                       "\n")
                .find(":1:67: solution has no queen at row 1, column 2 where the board gives one"),
            std::string::npos);
}

TEST_F(NQueensTest, ReportsGivensWithoutCompletion) {
  auto task = make_task(TaskSpec::parse("nqueens:4"));
  // 4x4 has two solutions, neither with a queen in a corner.
  EXPECT_NE(read_error("Q...............\n", task.get())
                .find(":1: no placement of 4 queens completes these givens"),
            std::string::npos);
  EXPECT_NE(read_error("# none\n", task.get()).find(": no puzzles"), std::string::npos);
}

TEST_F(NQueensTest, WriteThenReadGivesTheSameInstances) {
  std::vector<int> partial = kSolution;
  partial[2] = -1;
  std::vector<Puzzle> puzzles = {
      Puzzle{"a", tokens_of(board_of(partial)), tokens_of(board_of(kSolution))},
      Puzzle{"b", tokens_of(board_of(partial)), {}}};
  std::string path = testing::temp_path("round_trip.txt");
  task_->write_file(path, puzzles);
  std::vector<Puzzle> read_back = task_->read_file(path);
  ASSERT_EQ(read_back.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(read_back[i].input, puzzles[i].input);
    EXPECT_EQ(read_back[i].target, puzzles[i].target);
  }
}

TEST_F(NQueensTest, GeneratorIsSeeded) {
  GenerateOptions options;
  options.seed = 21;
  options.count = 5;
  options.removed = 6;
  std::vector<Puzzle> first = task_->generate(options);
  std::vector<Puzzle> again = task_->generate(options);
  ASSERT_EQ(first.size(), 5u);
  EXPECT_EQ(first[4].id, "gen-21-4");
  std::set<std::vector<std::int32_t>> distinct;
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].input, again[i].input);
    EXPECT_EQ(first[i].target, again[i].target);
    EXPECT_EQ(std::count(first[i].input.begin(), first[i].input.end(), 2), 2);
    EXPECT_TRUE(task_->is_valid(first[i], first[i].target));
    distinct.insert(first[i].input);
  }
  EXPECT_GT(distinct.size(), 1u);
  options.seed = 22;
  std::vector<Puzzle> other = task_->generate(options);
  bool any_different = false;
  for (std::size_t i = 0; i < other.size(); ++i) {
    any_different = any_different || other[i].input != first[i].input;
  }
  EXPECT_TRUE(any_different);
}

TEST_F(NQueensTest, GeneratorHitsTheRequestedSolutionCount) {
  for (int solutions : {1, 2, 3}) {
    GenerateOptions options;
    options.seed = 4;
    options.count = 3;
    options.removed = 6;
    options.solutions = solutions;
    for (const Puzzle& puzzle : task_->generate(options)) {
      EXPECT_EQ(task_->count_solutions(puzzle, 100), solutions);
      EXPECT_TRUE(task_->is_valid(puzzle, puzzle.target));
    }
  }
}

TEST_F(NQueensTest, GeneratorGivesUpOnImpossibleCounts) {
  GenerateOptions options;
  options.count = 1;
  options.removed = 0;  // a full board has exactly one completion
  options.solutions = 2;
  EXPECT_NE(error_message([&] { task_->generate(options); }).find("after 1000 tries"),
            std::string::npos);
  options.removed = 9;
  EXPECT_NE(error_message([&] { task_->generate(options); }).find("removed must be 0..8"),
            std::string::npos);
}

}  // namespace
}  // namespace gram::tasks
