// TaskSpec's text form and the factory that maps a spec to its implementation.
#include "tasks/task.h"

#include <vector>

#include "tasks/coloring.h"
#include "tasks/maze.h"
#include "tasks/nqueens.h"
#include "tasks/sudoku.h"
#include "tasks/text_file.h"
#include "util/error.h"

namespace gram::tasks {
namespace {

// Range checks shared by parse() and make_task(), so a spec built in code is held to the same
// rules as one typed on the command line.
void check_ranges(const TaskSpec& spec, const std::string& shown) {
  auto fail = [&](const std::string& why) {
    throw Error("task spec '" + shown + "': " + why);
  };
  if (spec.name == "sudoku") {
    if (spec.size != 4 && spec.size != 6 && spec.size != 9) {
      fail("sudoku size must be 4, 6 or 9");
    }
    if (spec.colors != 0) {
      fail("sudoku takes no colour count");
    }
  } else if (spec.name == "nqueens") {
    if (spec.size < 4 || spec.size > 12) {
      fail("nqueens board side must be 4..12");
    }
    if (spec.colors != 0) {
      fail("nqueens takes no colour count");
    }
  } else if (spec.name == "coloring") {
    if (spec.size < 3 || spec.size > 32) {
      fail("coloring node count must be 3..32");
    }
    if (spec.colors < 2 || spec.colors > 9) {
      fail("coloring colour count must be 2..9");
    }
  } else if (spec.name == "maze") {
    if (spec.size < 5 || spec.size > 30) {
      fail("maze side must be 5..30");
    }
    if (spec.colors != 0) {
      fail("maze takes no colour count");
    }
  } else {
    fail("unknown task '" + spec.name + "' (expected sudoku, nqueens, coloring or maze)");
  }
}

}  // namespace

std::string TaskSpec::to_string() const {
  // Appended piece by piece: GCC 12 gives a false -Wrestrict on "literal" + std::string.
  std::string text = name;
  text += ':';
  text += std::to_string(size);
  if (name == "coloring") {
    text += ':';
    text += std::to_string(colors);
  }
  return text;
}

TaskSpec TaskSpec::parse(const std::string& text) {
  auto fail = [&](const std::string& why) { throw Error("task spec '" + text + "': " + why); };
  std::vector<Field> fields = split_fields(text, ':');
  TaskSpec spec;
  spec.name = std::string(fields[0].text);
  std::size_t expected = spec.name == "coloring" ? 3 : 2;
  if (spec.name != "sudoku" && spec.name != "nqueens" && spec.name != "coloring" &&
      spec.name != "maze") {
    fail("unknown task '" + spec.name + "' (expected sudoku, nqueens, coloring or maze)");
  }
  if (fields.size() != expected) {
    fail(expected == 3 ? "expected coloring:<nodes>:<colours>"
                       : "expected " + spec.name + ":<size>");
  }
  std::optional<int> size = parse_small_number(fields[1].text);
  if (!size) {
    fail("size '" + std::string(fields[1].text) + "' is not a number");
  }
  spec.size = *size;
  if (expected == 3) {
    std::optional<int> colors = parse_small_number(fields[2].text);
    if (!colors) {
      fail("colour count '" + std::string(fields[2].text) + "' is not a number");
    }
    spec.colors = *colors;
  }
  check_ranges(spec, text);
  return spec;
}

std::unique_ptr<Task> make_task(const TaskSpec& spec) {
  check_ranges(spec, spec.to_string());
  if (spec.name == "sudoku") {
    return make_sudoku_task(spec.size);
  }
  if (spec.name == "nqueens") {
    return make_nqueens_task(spec.size);
  }
  if (spec.name == "maze") {
    return make_maze_task(spec.size);
  }
  return make_coloring_task(spec.size, spec.colors);
}

}  // namespace gram::tasks
