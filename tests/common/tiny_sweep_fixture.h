#pragma once
// A `gram sweep` test fixture: an untrained tiny 4x4 Sudoku model, six puzzles, and the command
// line of a small sweep over them (budgets 2, 4, 8; width strategy at depth 2; both halting
// modes) to which a test adds its own options.
#include <string>

#include "common/cli_fixture.h"

namespace gram::testing {

class TinySweep : public GramCli {
 protected:
  void SetUp() override {
    GramCli::SetUp();
    const std::string config = std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json";
    ASSERT_EQ(run("generate --random-model " + config + " --seed 5 --output " + path("m.safetensors")).status, 0);
    ASSERT_EQ(run("generate --task sudoku:4 --count 6 --seed 9 --output " + path("p.txt")).status, 0);
  }
  std::string sweep(const std::string& output, const std::string& extra = "") const {
    return "sweep --models tiny=" + path("m.safetensors") + " --puzzles " + path("p.txt") +
           " --output " + path(output) + " --budgets 2,4,8 --fixed_depth 2 --halting off,on" +
           " --threads 1 " + extra;
  }
};

}  // namespace gram::testing
