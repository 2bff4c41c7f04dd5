#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <utility>

#include "task_test_helpers.h"
#include "tasks/seeded_random.h"
#include "tasks/task.h"
#include "util/hash.h"

namespace gram::tasks {
namespace {

using testing::error_message;
using testing::write_temp_file;
using Edges = std::vector<std::pair<int, int>>;

// Input tokens of a graph: the upper triangle (1 no edge, 2 edge) then unknown node slots.
std::vector<std::int32_t> graph_tokens(int nodes, const Edges& edges) {
  std::vector<std::int32_t> tokens;
  for (int a = 0; a < nodes; ++a) {
    for (int b = a + 1; b < nodes; ++b) {
      bool edge = false;
      for (auto [x, y] : edges) {
        edge = edge || (x == a && y == b) || (x == b && y == a);
      }
      tokens.push_back(edge ? 2 : 1);
    }
  }
  tokens.insert(tokens.end(), nodes, 1);
  return tokens;
}

// The answer: the input's triangle, then 3 + colour per node.
std::vector<std::int32_t> answer_tokens(int nodes, const Edges& edges,
                                        const std::vector<int>& colours) {
  std::vector<std::int32_t> tokens = graph_tokens(nodes, edges);
  for (int node = 0; node < nodes; ++node) {
    tokens[tokens.size() - nodes + node] = 3 + colours[node];
  }
  return tokens;
}

std::int64_t count_of(int nodes, int colors, const Edges& edges, std::int64_t cap = 1000000) {
  auto task = make_task(TaskSpec{"coloring", nodes, colors});
  return task->count_solutions(Puzzle{"g", graph_tokens(nodes, edges), {}}, cap);
}

// Every assignment of colours tried, the proper ones counted.
std::int64_t brute_force_count(int nodes, int colors, const Edges& edges) {
  std::int64_t count = 0;
  std::vector<int> colours(nodes, 0);
  while (true) {
    bool proper = true;
    for (auto [a, b] : edges) {
      proper = proper && colours[a] != colours[b];
    }
    count += proper ? 1 : 0;
    int node = 0;
    while (node < nodes && ++colours[node] == colors) {
      colours[node++] = 0;
    }
    if (node == nodes) {
      return count;
    }
  }
}

class ColoringTest : public ::testing::Test {
 protected:
  std::unique_ptr<Task> task_ = make_task(TaskSpec::parse("coloring:5:3"));

  std::string read_error(const std::string& contents, Task* task = nullptr) {
    std::string path = write_temp_file("bad.txt", contents);
    std::string message = error_message([&] { (task ? task : task_.get())->read_file(path); });
    EXPECT_EQ(message.rfind(path + ":", 0), 0u) << message;
    return message;
  }
};

TEST_F(ColoringTest, CountsHandCheckedGraphs) {
  const Edges triangle = {{0, 1}, {0, 2}, {1, 2}};
  EXPECT_EQ(count_of(3, 3, triangle), 6);
  EXPECT_EQ(count_of(3, 2, triangle), 0);
  EXPECT_EQ(count_of(3, 2, {{0, 1}, {1, 2}}), 2);  // a path alternates
  EXPECT_EQ(count_of(3, 2, {}), 8);                 // 2^3
  EXPECT_EQ(count_of(4, 3, {{0, 1}, {1, 2}, {2, 3}, {3, 0}}), 18);  // (k-1)^4 + (k-1)
  const Edges complete4 = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
  EXPECT_EQ(count_of(4, 4, complete4), 24);
  EXPECT_EQ(count_of(4, 3, complete4), 0);
  EXPECT_EQ(count_of(3, 3, triangle, 4), 4);
}

TEST_F(ColoringTest, CountsMatchBruteForceOnRandomGraphs) {
  for (int graph = 0; graph < 30; ++graph) {
    SeededRandom random(99, static_cast<std::uint64_t>(graph));
    int nodes = 6 + graph % 2;
    int colors = 3 + graph % 2;
    Edges edges;
    for (int a = 0; a < nodes; ++a) {
      for (int b = a + 1; b < nodes; ++b) {
        if (random.unit() < 0.4) {
          edges.emplace_back(a, b);
        }
      }
    }
    EXPECT_EQ(count_of(nodes, colors, edges), brute_force_count(nodes, colors, edges))
        << "graph " << graph;
  }
}

TEST_F(ColoringTest, LargeCountsSaturateAtTheCap) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t nine_to_the_19 = 1;
  for (int i = 0; i < 19; ++i) {
    nine_to_the_19 *= 9;
  }
  EXPECT_EQ(count_of(19, 9, {}, kMax), nine_to_the_19);
  EXPECT_EQ(count_of(20, 9, {}, kMax), kMax);  // 9^20 does not fit
  EXPECT_EQ(count_of(32, 9, {{0, 1}}, 1000), 1000);
}

TEST_F(ColoringTest, ChecksNodeSlotsOnly) {
  auto task = make_task(TaskSpec::parse("coloring:3:3"));
  const Edges path = {{0, 1}, {1, 2}};
  Puzzle puzzle{"p", graph_tokens(3, path), {}};
  EXPECT_TRUE(task->is_valid(puzzle, answer_tokens(3, path, {0, 1, 0})));
  EXPECT_TRUE(task->is_valid(puzzle, answer_tokens(3, path, {2, 0, 1})));
  EXPECT_FALSE(task->is_valid(puzzle, answer_tokens(3, path, {0, 0, 1})));
  // The triangle of an answer is not part of it: a wrong copy changes nothing.
  std::vector<std::int32_t> other_triangle = answer_tokens(3, {}, {0, 1, 0});
  EXPECT_TRUE(task->is_valid(puzzle, other_triangle));
  EXPECT_EQ(task->answer_hash(other_triangle), task->answer_hash(answer_tokens(3, path, {0, 1, 0})));
  EXPECT_EQ(task->answer_hash(other_triangle), fnv1a64_tokens(std::vector<std::int32_t>{3, 4, 3}));
  EXPECT_EQ(task->render(other_triangle), "010");

  std::vector<std::int32_t> unknown = answer_tokens(3, path, {0, 1, 0});
  unknown.back() = 1;
  EXPECT_FALSE(task->is_valid(puzzle, unknown));
  EXPECT_EQ(task->render(unknown), "01.");
  std::vector<std::int32_t> too_many_colours = answer_tokens(3, path, {0, 1, 3});
  EXPECT_FALSE(task->is_valid(puzzle, too_many_colours));
  too_many_colours.pop_back();
  EXPECT_FALSE(task->is_valid(puzzle, too_many_colours));
}

TEST_F(ColoringTest, SolvesWithAProperColouring) {
  auto task = make_task(TaskSpec::parse("coloring:4:3"));
  Puzzle cycle{"c", graph_tokens(4, {{0, 1}, {1, 2}, {2, 3}, {3, 0}}), {}};
  EXPECT_TRUE(task->is_valid(cycle, task->solve(cycle)));
  Puzzle complete{"k", graph_tokens(4, {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}}), {}};
  EXPECT_TRUE(task->solve(complete).empty());
}

TEST_F(ColoringTest, ReadsGraphsAndReferenceColourings) {
  auto task = make_task(TaskSpec::parse("coloring:4:3"));
  std::string path = write_temp_file("graphs.txt", "# two graphs\n0-2 3-1,0120\n\n1-0\n");
  std::vector<Puzzle> puzzles = task->read_file(path);
  ASSERT_EQ(puzzles.size(), 2u);
  EXPECT_EQ(puzzles[0].id, "2");
  // Pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3), then four unknown node slots.
  EXPECT_EQ(puzzles[0].input, (std::vector<std::int32_t>{1, 2, 1, 1, 2, 1, 1, 1, 1, 1}));
  EXPECT_EQ(puzzles[0].target, (std::vector<std::int32_t>{1, 2, 1, 1, 2, 1, 3, 4, 5, 3}));
  EXPECT_EQ(puzzles[1].id, "4");
  EXPECT_EQ(puzzles[1].input, graph_tokens(4, {{0, 1}}));
  EXPECT_TRUE(puzzles[1].target.empty());
}

TEST_F(ColoringTest, ReportsEdgeErrorsAtTheirColumn) {
  EXPECT_NE(read_error("0-1 1_2\n").find(":1:5: bad edge '1_2' (expected i-j"), std::string::npos);
  EXPECT_NE(read_error("0-1 2-\n").find(":1:5: bad edge '2-'"), std::string::npos);
  EXPECT_NE(read_error("0-1 2-7\n").find(":1:7: node 7 out of range (0..4)"), std::string::npos);
  EXPECT_NE(read_error("9-1\n").find(":1:1: node 9 out of range (0..4)"), std::string::npos);
  EXPECT_NE(read_error("0-1 3-3\n").find(":1:5: self loop 3-3"), std::string::npos);
  EXPECT_NE(read_error("0-1 2-3 1-0\n").find(":1:9: duplicate edge 1-0 (first given at column 1)"),
            std::string::npos);
  EXPECT_NE(read_error("0-1,01,2\n").find(":1:7: unexpected ','"), std::string::npos);
  // Unprintable bytes are escaped so the message stays one readable line.
  EXPECT_NE(read_error("0-1 \x01\x7f-2\n").find(":1:5: bad edge '\\x01\\x7f-2'"),
            std::string::npos);
}

TEST_F(ColoringTest, ReportsBadReferenceColourings) {
  EXPECT_NE(read_error("0-1,0\n").find(":1:6: colouring has 1 colours, expected 5"),
            std::string::npos);
  EXPECT_NE(read_error("0-1,01302\n").find(":1:7: illegal symbol '3' in colouring (expected 0-2)"),
            std::string::npos);
  EXPECT_NE(read_error("0-1 1-2,01102\n").find(":1:11: nodes 1 and 2 share an edge and colour 1"),
            std::string::npos);
}

TEST_F(ColoringTest, ReportsGraphsWithoutColouring) {
  auto task = make_task(TaskSpec::parse("coloring:4:3"));
  std::string message = read_error("# K4 needs four colours\n0-1\n\n0-1 0-2 0-3 1-2 1-3 2-3\n",
                                   task.get());
  EXPECT_NE(message.find(":4: graph is not 3-colourable"), std::string::npos) << message;
  EXPECT_NE(read_error("\n# nothing\n").find(": no puzzles"), std::string::npos);
}

TEST_F(ColoringTest, WriteThenReadGivesTheSameGraphs) {
  const Edges edges = {{0, 1}, {1, 2}, {3, 4}, {0, 4}};
  std::vector<Puzzle> puzzles = {
      Puzzle{"a", graph_tokens(5, edges), answer_tokens(5, edges, {0, 1, 0, 1, 2})},
      Puzzle{"b", graph_tokens(5, edges), {}},
      Puzzle{"edgeless", graph_tokens(5, {}), {}}};
  std::string path = testing::temp_path("round_trip.txt");
  task_->write_file(path, puzzles);
  std::vector<Puzzle> read_back = task_->read_file(path);
  ASSERT_EQ(read_back.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(read_back[i].input, puzzles[i].input) << i;
    EXPECT_EQ(read_back[i].target, puzzles[i].target) << i;
  }
}

TEST_F(ColoringTest, GeneratorIsSeededAndColourable) {
  auto task = make_task(TaskSpec::parse("coloring:10:3"));
  GenerateOptions options;
  options.seed = 8;
  options.count = 4;
  options.edge_probability = 0.3;
  std::vector<Puzzle> first = task->generate(options);
  std::vector<Puzzle> again = task->generate(options);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(first[0].id, "gen-8-0");
  std::set<std::vector<std::int32_t>> distinct;
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].input, again[i].input);
    EXPECT_EQ(first[i].target, again[i].target);
    EXPECT_TRUE(task->is_valid(first[i], first[i].target));
    distinct.insert(first[i].input);
  }
  EXPECT_EQ(distinct.size(), 4u);
  options.seed = 9;
  EXPECT_NE(task->generate(options)[0].input, first[0].input);
}

TEST_F(ColoringTest, GeneratorHitsTheRequestedSolutionCount) {
  auto task = make_task(TaskSpec::parse("coloring:8:3"));
  GenerateOptions options;
  options.seed = 1;
  options.count = 3;
  options.solutions = 6;  // unique up to swapping the three colours
  for (const Puzzle& puzzle : task->generate(options)) {
    EXPECT_EQ(task->count_solutions(puzzle, 100), 6);
    EXPECT_TRUE(task->is_valid(puzzle, puzzle.target));
  }
}

TEST_F(ColoringTest, GeneratorRejectsBadOptions) {
  GenerateOptions options;
  options.count = 1;
  options.edge_probability = 1.5;
  EXPECT_NE(error_message([&] { task_->generate(options); }).find("edge_probability must be in"),
            std::string::npos);
  options.edge_probability = 1.0;  // K5 never has a 3-colouring
  EXPECT_NE(error_message([&] { task_->generate(options); }).find("after 10000 tries"),
            std::string::npos);
}

}  // namespace
}  // namespace gram::tasks
