// The task text of model configs and `gram generate --task` ("sudoku:9", "coloring:10:3"),
// and building the task it names.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "tasks/task.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gram::fuzz::expect_clean_errors([&] {
    const auto spec = gram::tasks::TaskSpec::parse(std::string(gram::fuzz::as_text(data, size)));
    const auto task = gram::tasks::make_task(spec);
    gram::tasks::TaskSpec::parse(task->spec().to_string());
  });
  return 0;
}
