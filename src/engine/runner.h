#pragma once
// Runs trajectories to depth (or until they halt) and reports each one as it finishes.
//
// Work is a list of (puzzle, trajectory) items named by global index, so any split of the list
// (over batches, ranks or restarts) runs exactly the same trajectories. Rows are kept full:
// when a trajectory finishes, the next item takes its slot at once (continuous batching), and
// the active rows are kept contiguous so finished rows stop costing compute.
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/recursive_model.h"
#include "tasks/task.h"

namespace gram::engine {

struct WorkItem {
  std::uint32_t puzzle = 0;      // global index into the puzzle list
  std::uint32_t trajectory = 0;  // 0..width-1
};

struct RunSettings {
  int depth = 16;         // supervision steps at most
  bool halting = false;   // stop when the halt head says so
  std::uint64_t seed = 0;
  // Keep every step's decoded answer (hash, verdict, value), so one run of depth S also gives
  // the answers at every depth s < S: a sweep derives its shallower cells from them.
  bool record_steps = false;
};

// What a trajectory would have answered had it stopped after this supervision step.
struct StepAnswer {
  std::uint64_t answer_hash = 0;
  bool valid = false;
  float value = 0.0f;
};

struct TrajectoryResult {
  std::uint32_t puzzle = 0;
  std::uint32_t trajectory = 0;
  std::vector<std::int32_t> answer;  // (L) decoded tokens
  std::uint64_t answer_hash = 0;
  bool valid = false;                // exact verifier
  float value = 0.0f;                // LPRM score at the last step
  int steps = 0;                     // supervision steps executed
  bool halted = false;               // stopped by the halt head (not by depth)
  std::int64_t applications = 0;     // network applications executed
  double started_seconds = 0.0;      // since the run started
  double finished_seconds = 0.0;
  std::vector<StepAnswer> history;   // one per step executed, when record_steps is set
};

class Runner {
 public:
  Runner(RecursiveModel& model, const tasks::Task& task, RunSettings settings);

  // Runs every item; `on_finished` is called once per trajectory, in completion order.
  void run(std::span<const tasks::Puzzle> puzzles, std::span<const WorkItem> items,
           const std::function<void(TrajectoryResult&&)>& on_finished);

 private:
  RecursiveModel& model_;
  const tasks::Task& task_;
  RunSettings settings_;
};

// Work items for `width` trajectories of each puzzle in [first, last), puzzle-major.
std::vector<WorkItem> make_work(std::uint32_t first, std::uint32_t last, int width);

}  // namespace gram::engine
