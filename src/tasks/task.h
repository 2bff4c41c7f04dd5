#pragma once
// A puzzle task: how puzzles are read, encoded as tokens, checked and counted.
//
// The engine never looks inside a puzzle; it asks the task. Token encodings follow the
// published recursive-reasoning papers (docs/tasks.md), so models trained elsewhere read the
// same sequences. Every parser error is a gram::Error naming file, line and column.
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace gram::tasks {

// One puzzle instance as the model sees it.
struct Puzzle {
  std::string id;                    // from the file (CSV source column, line number, ...)
  std::vector<std::int32_t> input;   // (seq_len) tokens given to the model
  std::vector<std::int32_t> target;  // (seq_len) a reference solution, or empty if none known
};

// Which task and size, as written in model configs and on the command line:
// "sudoku:9", "sudoku:6", "sudoku:4", "nqueens:8", "coloring:10:3" (nodes:colours).
struct TaskSpec {
  std::string name;  // "sudoku" | "nqueens" | "coloring"
  int size = 0;      // board side or node count
  int colors = 0;    // coloring only
  std::string to_string() const;
  static TaskSpec parse(const std::string& text);  // throws gram::Error on a malformed spec
};

// Options for seeded instance generation (`gram generate`).
struct GenerateOptions {
  std::uint64_t seed = 0;
  int count = 0;
  // Sudoku: number of givens to keep (0 = as few as uniqueness allows, capped by the generator).
  int givens = 0;
  // N-Queens: queens removed from a full solution; coloring: edges/density knobs.
  int removed = 0;
  double edge_probability = 0.0;
  // N-Queens / coloring: accept only instances with exactly this many solutions (0 = any).
  int solutions = 0;
};

class Task {
 public:
  virtual ~Task() = default;

  virtual TaskSpec spec() const = 0;
  virtual int seq_len() const = 0;     // L, tokens per puzzle
  virtual int vocab_size() const = 0;  // V, tokens 0..V-1 (0 is padding)
  // True when every well-posed instance has exactly one solution (Sudoku).
  virtual bool unique_solution() const = 0;

  // Reads a whole puzzle file; the format is chosen by the task (docs/tasks.md).
  virtual std::vector<Puzzle> read_file(const std::string& path) const = 0;
  // Writes puzzles in the format read_file reads (used by `gram generate`).
  virtual void write_file(const std::string& path, std::span<const Puzzle> puzzles) const = 0;

  // The exact verifier: `answer` (seq_len tokens, as decoded by the model) is a complete, legal
  // solution that keeps every given of `puzzle`.
  virtual bool is_valid(const Puzzle& puzzle, std::span<const std::int32_t> answer) const = 0;
  // Human-readable answer in the file's own notation (a board row-major, '.' for unknown).
  virtual std::string render(std::span<const std::int32_t> answer) const = 0;
  // Canonical hash of an answer: equal answers, equal hashes, whatever the run.
  virtual std::uint64_t answer_hash(std::span<const std::int32_t> answer) const = 0;
  // Exact number of solutions of `puzzle`, counting stops at `cap`.
  virtual std::int64_t count_solutions(const Puzzle& puzzle, std::int64_t cap) const = 0;
  // One exact solution (empty when none exists); used for targets and tests.
  virtual std::vector<std::int32_t> solve(const Puzzle& puzzle) const = 0;
  // Seeded instance generator: same options, same puzzles.
  virtual std::vector<Puzzle> generate(const GenerateOptions& options) const = 0;
};

std::unique_ptr<Task> make_task(const TaskSpec& spec);  // throws gram::Error for unknown tasks

}  // namespace gram::tasks
