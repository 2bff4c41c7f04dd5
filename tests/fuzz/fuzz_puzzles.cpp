// The puzzle-file parsers of every task (sudoku, nqueens, coloring, maze). The first byte picks the
// task and size, the rest is the file; each parsed puzzle is then checked, rendered and hashed
// as a run would, since those read the parsed tokens.
#include <array>
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "tasks/task.h"

namespace {

constexpr std::array<const char*, 10> kSpecs = {"sudoku:4",  "sudoku:6",     "sudoku:9",
                                                "nqueens:4", "nqueens:8",    "coloring:6:3",
                                                "coloring:10:3", "coloring:12:4", "maze:5",
                                                "maze:11"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto spec = gram::tasks::TaskSpec::parse(kSpecs[data[0] % kSpecs.size()]);
  const auto task = gram::tasks::make_task(spec);
  const std::string path = gram::fuzz::write_input(gram::fuzz::as_text(data + 1, size - 1),
                                                   "puzzles.txt");
  gram::fuzz::expect_clean_errors([&] {
    for (const auto& puzzle : task->read_file(path)) {
      task->is_valid(puzzle, puzzle.input);
      task->render(puzzle.input);
      task->answer_hash(puzzle.input);
      if (!puzzle.target.empty()) task->is_valid(puzzle, puzzle.target);
    }
  });
  return 0;
}
