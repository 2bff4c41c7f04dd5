// The maze task: the official encoding, the exact shortest-path verifier, the solver, the
// generator and the file parser's errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "task_test_helpers.h"
#include "tasks/task.h"

namespace gram::tasks {
namespace {

using testing::error_message;
using testing::write_temp_file;

std::vector<std::int32_t> tokens_of(const std::string& text) {
  const std::string charset = "# SGo";
  std::vector<std::int32_t> tokens;
  for (char symbol : text) tokens.push_back(static_cast<std::int32_t>(charset.find(symbol)) + 1);
  return tokens;
}

// A 5 x 5 room around one pillar: S and G at opposite corners, two shortest paths of 4 moves.
const std::string kRoom =
    "#####"
    "#S  #"
    "# # #"
    "#  G#"
    "#####";
const std::string kOverTheTop =
    "#####"
    "#Soo#"
    "# #o#"
    "#  G#"
    "#####";
const std::string kBelow =
    "#####"
    "#S  #"
    "#o# #"
    "#ooG#"
    "#####";

class MazeTest : public ::testing::Test {
 protected:
  std::unique_ptr<Task> task_ = make_task(TaskSpec::parse("maze:5"));
  Puzzle room_{"room", tokens_of(kRoom), {}};

  std::string read_error(const std::string& contents) {
    const std::string path = write_temp_file("bad-maze.txt", contents);
    const std::string message = error_message([&] { task_->read_file(path); });
    EXPECT_EQ(message.rfind(path + ":", 0), 0u) << message;
    return message;
  }
};

TEST_F(MazeTest, TokensAreTheOfficialCharsetAfterPadding) {
  EXPECT_EQ(task_->vocab_size(), 6);
  EXPECT_EQ(task_->seq_len(), 25);
  EXPECT_EQ(task_->render(tokens_of(kOverTheTop)), kOverTheTop);
}

TEST_F(MazeTest, AnyShortestPathIsCorrectAndNothingElse) {
  EXPECT_EQ(task_->count_solutions(room_, 10), 2);
  EXPECT_TRUE(task_->is_valid(room_, tokens_of(kOverTheTop)));
  EXPECT_TRUE(task_->is_valid(room_, tokens_of(kBelow)));
  EXPECT_TRUE(task_->is_valid(room_, task_->solve(room_)));
  const std::vector<std::string> wrong = {
      kRoom,                                  // no path marked
      "#####" "#Soo#" "# # #" "#  G#" "#####",  // a gap
      "#####" "#Soo#" "#o#o#" "#  G#" "#####",  // a path and a stray mark
      "#####" "#Soo#" "#o#o#" "#ooG#" "#####",  // both paths
      "#####" "#Soo#" "# #o#" "# oG#" "#####",  // the path plus a mark beside the goal
      "#####" "#S o#" "# #o#" "#ooG#" "#####",  // marks not joined to S
      "#####" "#Soo#" "# #o#" "#  G " "#####",  // a wall opened
      "#####" "# oo#" "# #o#" "#  G#" "#####",  // the start removed
  };
  for (const std::string& answer : wrong) {
    EXPECT_FALSE(task_->is_valid(room_, tokens_of(answer))) << answer;
  }
}

TEST_F(MazeTest, GeneratedMazesArePerfectAndSolvedBySolve) {
  const auto maze = make_task(TaskSpec::parse("maze:30"));
  GenerateOptions options;
  options.count = 5;
  options.seed = 7;
  const std::vector<Puzzle> puzzles = maze->generate(options);
  ASSERT_EQ(puzzles.size(), 5u);
  for (const Puzzle& puzzle : puzzles) {
    EXPECT_TRUE(maze->is_valid(puzzle, puzzle.target)) << puzzle.id;
    EXPECT_EQ(maze->solve(puzzle), puzzle.target) << puzzle.id;
    EXPECT_EQ(maze->count_solutions(puzzle, 5), 1) << puzzle.id;  // one path between two rooms
    EXPECT_GT(std::count(puzzle.target.begin(), puzzle.target.end(), 5), 40) << puzzle.id;
  }
  // Instance i depends on the seed and on i only.
  options.count = 2;
  EXPECT_EQ(maze->generate(options)[1].input, puzzles[1].input);
  options.seed = 8;
  EXPECT_NE(maze->generate(options)[0].input, puzzles[0].input);
}

TEST_F(MazeTest, FilesRoundTrip) {
  const std::string path = write_temp_file("mazes.txt", kRoom + "," + kBelow + "\n" + kRoom + "\n");
  const std::vector<Puzzle> puzzles = task_->read_file(path);
  ASSERT_EQ(puzzles.size(), 2u);
  EXPECT_EQ(puzzles[0].target, tokens_of(kBelow));
  EXPECT_TRUE(puzzles[1].target.empty());
  const std::string copy = write_temp_file("mazes-copy.txt", "");
  task_->write_file(copy, puzzles);
  EXPECT_EQ(task_->read_file(copy)[0].target, puzzles[0].target);
}

TEST_F(MazeTest, BadLinesAreRefusedAtTheirLineAndColumn) {
  EXPECT_NE(read_error("#####\n").find(":1:6: maze has 5 cells, expected 25"), std::string::npos);
  std::string symbol = kRoom;
  symbol[7] = 'x';
  EXPECT_NE(read_error(symbol + "\n").find(":1:8: illegal symbol 'x' in maze"), std::string::npos);
  std::string two_starts = kRoom;
  two_starts[7] = 'S';
  EXPECT_NE(read_error(two_starts + "\n").find("maze has 2 'S' and 1 'G'"), std::string::npos);
  const std::string walled =
      "#####" "#S# #" "### #" "#  G#" "#####";
  EXPECT_NE(read_error(walled + "\n").find(":1: no path from S to G"), std::string::npos);
  EXPECT_NE(read_error(kRoom + "," + kRoom + "\n")
                .find(":1:27: solution is not a shortest path from S to G"),
            std::string::npos);
  EXPECT_NE(read_error(kRoom + "," + kBelow + ",x\n").find("unexpected ','"), std::string::npos);
}

}  // namespace
}  // namespace gram::tasks
