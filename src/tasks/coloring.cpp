#include "tasks/coloring.h"

#include <algorithm>

#include "tasks/coloring_solver.h"
#include "tasks/seeded_random.h"
#include "tasks/text_file.h"
#include "util/error.h"
#include "util/hash.h"

namespace gram::tasks {
namespace {

constexpr std::int32_t kNoEdgeToken = 1;
constexpr std::int32_t kEdgeToken = 2;
constexpr std::int32_t kUnknownToken = 1;
constexpr std::int32_t kFirstColourToken = 3;
// Random graphs are drawn until one fits; this bounds the draws when none can.
constexpr int kMaxGenerateTries = 10000;

class ColoringTask final : public Task {
 public:
  ColoringTask(int nodes, int colors) : nodes_(nodes), colors_(colors) {
    if (nodes < 3 || nodes > 32 || colors < 2 || colors > 9) {
      throw Error("coloring:" + std::to_string(nodes) + ":" + std::to_string(colors) +
                  " is not supported (3..32 nodes, 2..9 colours)");
    }
  }

  TaskSpec spec() const override { return {"coloring", nodes_, colors_}; }
  int seq_len() const override { return triangle_size() + nodes_; }
  int vocab_size() const override { return kFirstColourToken + colors_; }
  bool unique_solution() const override { return false; }

  std::vector<Puzzle> read_file(const std::string& path) const override;
  void write_file(const std::string& path, std::span<const Puzzle> puzzles) const override;
  bool is_valid(const Puzzle& puzzle, std::span<const std::int32_t> answer) const override;
  std::string render(std::span<const std::int32_t> answer) const override;
  std::uint64_t answer_hash(std::span<const std::int32_t> answer) const override {
    return fnv1a64_tokens(node_slots(answer));
  }
  std::int64_t count_solutions(const Puzzle& puzzle, std::int64_t cap) const override {
    return count_colorings(graph_of(puzzle), colors_, cap);
  }
  std::vector<std::int32_t> solve(const Puzzle& puzzle) const override;
  std::vector<Puzzle> generate(const GenerateOptions& options) const override;

 private:
  int triangle_size() const { return nodes_ * (nodes_ - 1) / 2; }
  // The node slots of an answer; shorter answers give what they have.
  std::span<const std::int32_t> node_slots(std::span<const std::int32_t> answer) const {
    std::size_t start = std::min(answer.size(), static_cast<std::size_t>(triangle_size()));
    return answer.subspan(start, std::min(answer.size() - start, static_cast<std::size_t>(nodes_)));
  }
  Puzzle parse_line(const LineReader& reader) const;
  Graph parse_edges(const LineReader& reader, Field field) const;
  Graph graph_of(const Puzzle& puzzle) const;
  std::vector<int> target_colours(const Puzzle& puzzle) const;
  std::vector<std::int32_t> encode(const Graph& graph, const std::vector<int>& colours) const;

  int nodes_;
  int colors_;
};

Graph ColoringTask::parse_edges(const LineReader& reader, Field field) const {
  Graph graph(nodes_);
  std::vector<int> first_column(nodes_ * nodes_, 0);  // where each edge was first given
  std::size_t position = 0;
  std::string_view text = field.text;
  while (true) {
    position = text.find_first_not_of(" \t", position);
    if (position == std::string_view::npos) {
      return graph;
    }
    std::size_t end = std::min(text.find_first_of(" \t", position), text.size());
    std::string_view edge = text.substr(position, end - position);
    int column = field.column + static_cast<int>(position);
    std::size_t dash = edge.find('-');
    std::optional<int> a, b;
    if (dash != std::string_view::npos) {
      a = parse_small_number(edge.substr(0, dash));
      b = parse_small_number(edge.substr(dash + 1));
    }
    if (!a || !b) {
      reader.fail(column, "bad edge " + quote_text(edge) + " (expected i-j, node numbers)");
    }
    if (*a >= nodes_ || *b >= nodes_) {
      bool first_bad = *a >= nodes_;
      reader.fail(first_bad ? column : column + static_cast<int>(dash) + 1,
                  "node " + std::to_string(first_bad ? *a : *b) + " out of range (0.." +
                      std::to_string(nodes_ - 1) + ")");
    }
    if (*a == *b) {
      reader.fail(column, "self loop " + std::string(edge));
    }
    int key = std::min(*a, *b) * nodes_ + std::max(*a, *b);
    if (graph.has_edge(*a, *b)) {
      reader.fail(column, "duplicate edge " + std::string(edge) + " (first given at column " +
                              std::to_string(first_column[key]) + ")");
    }
    graph.add_edge(*a, *b);
    first_column[key] = column;
    position = end;
  }
}

Puzzle ColoringTask::parse_line(const LineReader& reader) const {
  std::vector<Field> fields = split_fields(reader.text(), ',');
  if (fields.size() > 2) {
    reader.fail(fields[2].column - 1, "unexpected ',' (expected edges[,colouring])");
  }
  Graph graph = parse_edges(reader, fields[0]);
  Puzzle puzzle;
  puzzle.id = std::to_string(reader.line_number());
  puzzle.input = encode(graph, {});
  // An empty colouring field ("," alone) is how an edgeless graph without one is written.
  if (fields.size() == 1 || fields[1].text.empty()) {
    if (count_colorings(graph, colors_, 1) == 0) {
      reader.fail_line("graph is not " + std::to_string(colors_) + "-colourable");
    }
    return puzzle;
  }
  Field reference = fields[1];
  int length = static_cast<int>(reference.text.size());
  if (length != nodes_) {
    reader.fail(reference.column + std::min(length, nodes_),
                "colouring has " + std::to_string(length) + " colours, expected " +
                    std::to_string(nodes_));
  }
  std::vector<int> colours(nodes_);
  for (int node = 0; node < nodes_; ++node) {
    char symbol = reference.text[node];
    if (symbol < '0' || symbol >= '0' + colors_) {
      reader.fail(reference.column + node,
                  "illegal symbol " + quote_symbol(symbol) + " in colouring (expected 0-" +
                      std::to_string(colors_ - 1) + ")");
    }
    colours[node] = symbol - '0';
    for (int other = 0; other < node; ++other) {
      if (graph.has_edge(other, node) && colours[other] == colours[node]) {
        reader.fail(reference.column + node,
                    "nodes " + std::to_string(other) + " and " + std::to_string(node) +
                        " share an edge and colour " + std::to_string(colours[node]));
      }
    }
  }
  puzzle.target = encode(graph, colours);
  return puzzle;
}

std::vector<Puzzle> ColoringTask::read_file(const std::string& path) const {
  return read_puzzle_lines(path, [this](const LineReader& reader) { return parse_line(reader); });
}

Graph ColoringTask::graph_of(const Puzzle& puzzle) const {
  const std::string where = spec().to_string() + ": puzzle '" + puzzle.id + "'";
  if (static_cast<int>(puzzle.input.size()) != seq_len()) {
    throw Error(where + " has " + std::to_string(puzzle.input.size()) +
                " input tokens, expected " + std::to_string(seq_len()));
  }
  Graph graph(nodes_);
  int position = 0;
  for (int a = 0; a < nodes_; ++a) {
    for (int b = a + 1; b < nodes_; ++b, ++position) {
      std::int32_t token = puzzle.input[position];
      if (token != kNoEdgeToken && token != kEdgeToken) {
        throw Error(where + " has input token " + std::to_string(token) + " at position " +
                    std::to_string(position) + " (expected 1 no edge or 2 edge)");
      }
      if (token == kEdgeToken) {
        graph.add_edge(a, b);
      }
    }
  }
  for (; position < seq_len(); ++position) {
    if (puzzle.input[position] != kUnknownToken) {
      throw Error(where + " has input token " + std::to_string(puzzle.input[position]) +
                  " at node slot " + std::to_string(position - triangle_size()) +
                  " (expected 1 unknown)");
    }
  }
  return graph;
}

std::vector<int> ColoringTask::target_colours(const Puzzle& puzzle) const {
  const std::string where = spec().to_string() + ": puzzle '" + puzzle.id + "'";
  if (static_cast<int>(puzzle.target.size()) != seq_len()) {
    throw Error(where + " has " + std::to_string(puzzle.target.size()) +
                " target tokens, expected " + std::to_string(seq_len()));
  }
  std::vector<int> colours(nodes_);
  for (int node = 0; node < nodes_; ++node) {
    std::int32_t token = puzzle.target[triangle_size() + node];
    if (token < kFirstColourToken || token >= kFirstColourToken + colors_) {
      throw Error(where + " has target token " + std::to_string(token) + " at node slot " +
                  std::to_string(node) + " (expected a colour token 3.." +
                  std::to_string(kFirstColourToken + colors_ - 1) + ")");
    }
    colours[node] = token - kFirstColourToken;
  }
  return colours;
}

// Input tokens when `colours` is empty, output tokens otherwise.
std::vector<std::int32_t> ColoringTask::encode(const Graph& graph,
                                               const std::vector<int>& colours) const {
  std::vector<std::int32_t> tokens;
  tokens.reserve(seq_len());
  for (int a = 0; a < nodes_; ++a) {
    for (int b = a + 1; b < nodes_; ++b) {
      tokens.push_back(graph.has_edge(a, b) ? kEdgeToken : kNoEdgeToken);
    }
  }
  for (int node = 0; node < nodes_; ++node) {
    tokens.push_back(colours.empty() ? kUnknownToken : kFirstColourToken + colours[node]);
  }
  return tokens;
}

void ColoringTask::write_file(const std::string& path, std::span<const Puzzle> puzzles) const {
  std::string text;
  for (const Puzzle& puzzle : puzzles) {
    Graph graph = graph_of(puzzle);
    std::string line;
    for (int a = 0; a < nodes_; ++a) {
      for (int b = a + 1; b < nodes_; ++b) {
        if (graph.has_edge(a, b)) {
          if (!line.empty()) {
            line += ' ';
          }
          line += std::to_string(a);
          line += '-';
          line += std::to_string(b);
        }
      }
    }
    if (!puzzle.target.empty()) {
      line += ',';
      for (int colour : target_colours(puzzle)) {
        line += static_cast<char>('0' + colour);
      }
    } else if (line.empty()) {
      line.push_back(',');  // a blank line would be skipped on reading
    }
    text += line + '\n';
  }
  write_text_file(path, text);
}

bool ColoringTask::is_valid(const Puzzle& puzzle, std::span<const std::int32_t> answer) const {
  Graph graph = graph_of(puzzle);
  if (static_cast<int>(answer.size()) != seq_len()) {
    return false;
  }
  std::span<const std::int32_t> slots = node_slots(answer);
  for (int node = 0; node < nodes_; ++node) {
    if (slots[node] < kFirstColourToken || slots[node] >= kFirstColourToken + colors_) {
      return false;
    }
    for (int other = 0; other < node; ++other) {
      if (graph.has_edge(other, node) && slots[other] == slots[node]) {
        return false;
      }
    }
  }
  return true;
}

std::string ColoringTask::render(std::span<const std::int32_t> answer) const {
  std::string text;
  for (std::int32_t token : node_slots(answer)) {
    bool is_colour = token >= kFirstColourToken && token < kFirstColourToken + colors_;
    text += is_colour ? static_cast<char>('0' + token - kFirstColourToken) : '.';
  }
  return text;
}

std::vector<std::int32_t> ColoringTask::solve(const Puzzle& puzzle) const {
  Graph graph = graph_of(puzzle);
  std::vector<int> colors = find_coloring(graph, colors_);
  if (colors.empty()) {
    return {};
  }
  return encode(graph, colors);
}

std::vector<Puzzle> ColoringTask::generate(const GenerateOptions& options) const {
  const std::string where = spec().to_string() + " generate: ";
  if (options.count < 1) {
    throw Error(where + "count must be at least 1");
  }
  if (!(options.edge_probability >= 0.0 && options.edge_probability <= 1.0)) {
    throw Error(where + "edge_probability must be in [0, 1], got " +
                std::to_string(options.edge_probability));
  }
  if (options.solutions < 0) {
    throw Error(where + "solutions must be >= 0, got " + std::to_string(options.solutions));
  }
  double probability = options.edge_probability == 0.0 ? 0.5 : options.edge_probability;
  std::int64_t cap = options.solutions > 0 ? options.solutions + 1 : 1;

  std::vector<Puzzle> puzzles;
  for (int index = 0; index < options.count; ++index) {
    SeededRandom random(options.seed, static_cast<std::uint64_t>(index));
    bool found = false;
    for (int attempt = 0; attempt < kMaxGenerateTries && !found; ++attempt) {
      Graph graph(nodes_);
      for (int a = 0; a < nodes_; ++a) {
        for (int b = a + 1; b < nodes_; ++b) {
          if (random.unit() < probability) {
            graph.add_edge(a, b);
          }
        }
      }
      std::int64_t count = count_colorings(graph, colors_, cap);
      if (count == 0 || (options.solutions > 0 && count != options.solutions)) {
        continue;
      }
      Puzzle puzzle;
      puzzle.id = "gen-" + std::to_string(options.seed) + "-" + std::to_string(index);
      puzzle.input = encode(graph, {});
      puzzle.target = encode(graph, find_coloring(graph, colors_));
      puzzles.push_back(std::move(puzzle));
      found = true;
    }
    if (!found) {
      throw Error(where + "no graph with edge probability " + std::to_string(probability) +
                  (options.solutions > 0
                       ? " has exactly " + std::to_string(options.solutions) + " colourings"
                       : " is colourable") +
                  " after " + std::to_string(kMaxGenerateTries) + " tries");
    }
  }
  return puzzles;
}

}  // namespace

std::unique_ptr<Task> make_coloring_task(int nodes, int colors) {
  return std::make_unique<ColoringTask>(nodes, colors);
}

}  // namespace gram::tasks
