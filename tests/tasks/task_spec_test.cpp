#include <gtest/gtest.h>

#include "tasks/task.h"
#include "task_test_helpers.h"

namespace gram::tasks {
namespace {

using testing::error_message;

TEST(TaskSpecTest, ParsesAndPrintsEveryForm) {
  for (const char* text : {"sudoku:9", "sudoku:6", "sudoku:4", "nqueens:4", "nqueens:8",
                           "nqueens:12", "coloring:3:2", "coloring:10:3", "coloring:32:9"}) {
    EXPECT_EQ(TaskSpec::parse(text).to_string(), text);
  }
  TaskSpec coloring = TaskSpec::parse("coloring:10:3");
  EXPECT_EQ(coloring.name, "coloring");
  EXPECT_EQ(coloring.size, 10);
  EXPECT_EQ(coloring.colors, 3);
  TaskSpec queens = TaskSpec::parse("nqueens:8");
  EXPECT_EQ(queens.name, "nqueens");
  EXPECT_EQ(queens.size, 8);
  EXPECT_EQ(queens.colors, 0);
}

struct BadSpec {
  const char* text;
  const char* expected;
};

class TaskSpecErrorTest : public ::testing::TestWithParam<BadSpec> {};

TEST_P(TaskSpecErrorTest, NamesTheProblem) {
  std::string message = error_message([&] { TaskSpec::parse(GetParam().text); });
  EXPECT_NE(message.find(std::string("task spec '") + GetParam().text + "'"), std::string::npos)
      << message;
  EXPECT_NE(message.find(GetParam().expected), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    AllForms, TaskSpecErrorTest,
    ::testing::Values(BadSpec{"chess:8", "unknown task 'chess'"}, BadSpec{"", "unknown task ''"},
                      BadSpec{"sudoku", "expected sudoku:<size>"},
                      BadSpec{"sudoku:9:1", "expected sudoku:<size>"},
                      BadSpec{"sudoku:x", "size 'x' is not a number"},
                      BadSpec{"sudoku:-9", "size '-9' is not a number"},
                      BadSpec{"sudoku: 9", "size ' 9' is not a number"},
                      BadSpec{"sudoku:7", "sudoku size must be 4, 6 or 9"},
                      BadSpec{"nqueens:3", "board side must be 4..12"},
                      BadSpec{"nqueens:13", "board side must be 4..12"},
                      BadSpec{"coloring:10", "expected coloring:<nodes>:<colours>"},
                      BadSpec{"coloring:2:3", "node count must be 3..32"},
                      BadSpec{"coloring:33:3", "node count must be 3..32"},
                      BadSpec{"coloring:10:1", "colour count must be 2..9"},
                      BadSpec{"coloring:10:10", "colour count must be 2..9"},
                      BadSpec{"coloring:10:", "colour count '' is not a number"}));

TEST(MakeTaskTest, BuildsEachTaskWithItsShape) {
  auto sudoku = make_task(TaskSpec::parse("sudoku:9"));
  EXPECT_EQ(sudoku->spec().to_string(), "sudoku:9");
  EXPECT_EQ(sudoku->seq_len(), 81);
  EXPECT_EQ(sudoku->vocab_size(), 11);
  EXPECT_TRUE(sudoku->unique_solution());

  auto small = make_task(TaskSpec::parse("sudoku:6"));
  EXPECT_EQ(small->seq_len(), 36);
  EXPECT_EQ(small->vocab_size(), 8);

  auto queens = make_task(TaskSpec::parse("nqueens:8"));
  EXPECT_EQ(queens->spec().to_string(), "nqueens:8");
  EXPECT_EQ(queens->seq_len(), 64);
  EXPECT_EQ(queens->vocab_size(), 3);
  EXPECT_FALSE(queens->unique_solution());

  auto coloring = make_task(TaskSpec::parse("coloring:10:3"));
  EXPECT_EQ(coloring->spec().to_string(), "coloring:10:3");
  EXPECT_EQ(coloring->seq_len(), 45 + 10);
  EXPECT_EQ(coloring->vocab_size(), 6);
  EXPECT_FALSE(coloring->unique_solution());
}

TEST(MakeTaskTest, RejectsSpecsBuiltInCode) {
  EXPECT_NE(error_message([] { make_task(TaskSpec{"sudoku", 8, 0}); })
                .find("sudoku size must be 4, 6 or 9"),
            std::string::npos);
  EXPECT_NE(error_message([] { make_task(TaskSpec{"go", 19, 0}); }).find("unknown task 'go'"),
            std::string::npos);
  EXPECT_NE(error_message([] { make_task(TaskSpec{"coloring", 10, 0}); })
                .find("colour count must be 2..9"),
            std::string::npos);
}

}  // namespace
}  // namespace gram::tasks
