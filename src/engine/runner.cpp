#include "engine/runner.h"

#include "util/error.h"
#include "util/stop_signal.h"

namespace gram::engine {
namespace {

struct Slot {
  WorkItem item;
  std::uint32_t step = 0;  // supervision steps done
  double started_seconds = 0.0;
  bool busy = false;
  std::vector<StepAnswer> history;
};

}  // namespace

Runner::Runner(RecursiveModel& model, const tasks::Task& task, RunSettings settings)
    : model_(model), task_(task), settings_(settings) {
  GRAM_ASSERT(settings.depth >= 1, "depth must be at least one supervision step");
  GRAM_ASSERT(model.config().seq_len == task.seq_len(), "model and task disagree on L");
}

void Runner::run(std::span<const tasks::Puzzle> puzzles, std::span<const WorkItem> items,
                 const std::function<void(TrajectoryResult&&)>& on_finished) {
  const auto start = std::chrono::steady_clock::now();
  auto seconds_now = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const auto& config = model_.config();
  const std::int64_t applications_per_step = model::count_flops(config).applications_per_step;

  std::vector<Slot> slots(std::min<std::size_t>(model_.max_rows(), items.size()));
  std::size_t next_item = 0;
  auto start_slot = [&](int slot) {
    const WorkItem& item = items[next_item++];
    GRAM_ASSERT(item.puzzle < puzzles.size(), "work item names a puzzle out of range");
    model_.start_row(slot, puzzles[item.puzzle].input);
    slots[slot] = Slot{item, 0, seconds_now(), true, {}};
  };

  int active = 0;
  while (active < static_cast<int>(slots.size())) start_slot(active++);

  std::vector<backend::NoiseRow> keys(slots.size());
  std::vector<StepOutput> outputs;
  while (active > 0) {
    // The safe point for SIGTERM/SIGINT: between supervision steps nothing is half-written.
    throw_if_stop_requested();
    for (int slot = 0; slot < active; ++slot) {
      keys[slot] = {slots[slot].item.puzzle, slots[slot].item.trajectory, slots[slot].step};
    }
    model_.load_noise_keys(std::span(keys).first(active));
    model_.supervision_step(active, settings_.seed);
    model_.read_heads(active, outputs);

    for (int slot = 0; slot < active; ++slot) {
      Slot& current = slots[slot];
      current.step += 1;
      const bool halted = settings_.halting && outputs[slot].wants_halt;
      const bool finished = halted || static_cast<int>(current.step) >= settings_.depth;
      if (settings_.record_steps && !finished) {
        const tasks::Puzzle& puzzle = puzzles[current.item.puzzle];
        current.history.push_back({task_.answer_hash(outputs[slot].answer),
                                   task_.is_valid(puzzle, outputs[slot].answer),
                                   outputs[slot].value});
      }
      if (!finished) continue;

      TrajectoryResult result;
      result.puzzle = current.item.puzzle;
      result.trajectory = current.item.trajectory;
      result.answer = std::move(outputs[slot].answer);
      result.answer_hash = task_.answer_hash(result.answer);
      result.valid = task_.is_valid(puzzles[result.puzzle], result.answer);
      result.value = outputs[slot].value;
      result.steps = static_cast<int>(current.step);
      result.halted = halted;
      result.applications = applications_per_step * current.step;
      result.started_seconds = current.started_seconds;
      result.finished_seconds = seconds_now();
      if (settings_.record_steps) {
        result.history = std::move(current.history);
        result.history.push_back({result.answer_hash, result.valid, result.value});
      }
      current.busy = false;
      on_finished(std::move(result));

      if (next_item < items.size()) start_slot(slot);
    }
    // Keep busy rows contiguous at the front: fill each hole with the last busy row.
    for (int slot = 0; slot < active; ++slot) {
      while (active > slot && !slots[active - 1].busy) --active;
      if (slot < active && !slots[slot].busy) {
        model_.move_row(active - 1, slot);
        slots[slot] = std::move(slots[active - 1]);
        slots[active - 1].busy = false;
        --active;
      }
    }
  }
}

std::vector<WorkItem> make_work(std::uint32_t first, std::uint32_t last, int width) {
  std::vector<WorkItem> items;
  items.reserve(static_cast<std::size_t>(last - first) * width);
  for (std::uint32_t puzzle = first; puzzle < last; ++puzzle) {
    for (int trajectory = 0; trajectory < width; ++trajectory) {
      items.push_back({puzzle, static_cast<std::uint32_t>(trajectory)});
    }
  }
  return items;
}

}  // namespace gram::engine
