// gram steps: what the model computes at every supervision step for chosen puzzles (the logits,
// the board they decode to, q_halt/q_continue, the value head and the halt decision), as JSONL,
// so that a user can put the engine beside their own PyTorch run without writing a harness.
// The tokens fed in are written first, since boards print padding and blanks differently from
// the tokens the model reads (docs/tasks.md).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "cli/commands.h"
#include "cli/model_task.h"
#include "config/steps_config.h"
#include "engine/recursive_model.h"
#include "model/weights.h"
#include "tasks/task.h"
#include "util/error.h"
#include "util/jsonl_writer.h"

namespace gram::cli {
namespace {

// One row of the dump: which puzzle of the file, which trajectory.
struct DumpRow {
  std::uint32_t puzzle = 0;
  std::uint32_t trajectory = 0;
};

std::vector<DumpRow> dump_rows(const config::StepsConfig& steps, std::size_t puzzle_count) {
  std::vector<DumpRow> rows;
  for (const std::string& index_text : steps.indices) {
    const int index = config::parse_int("indices", index_text, 0);
    if (static_cast<std::size_t>(index) >= puzzle_count) {
      throw Error(steps.puzzles + ": has " + std::to_string(puzzle_count) +
                  " puzzles; 'indices' names puzzle " + index_text + " (0-based)");
    }
    for (const std::string& trajectory_text : steps.trajectories) {
      const int trajectory = config::parse_int("trajectories", trajectory_text, 0);
      rows.push_back({static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(trajectory)});
    }
  }
  return rows;
}

// The logits as L rows of V values.
nlohmann::json logits_json(const std::vector<float>& logits, int vocab) {
  nlohmann::json cells = nlohmann::json::array();
  for (std::size_t at = 0; at < logits.size(); at += vocab) {
    cells.push_back(std::vector<float>(logits.begin() + at, logits.begin() + at + vocab));
  }
  return cells;
}

nlohmann::json step_record(const DumpRow& row, int step, const engine::HeadValues& head,
                           const engine::StepOutput& output, const model::Model& model,
                           const tasks::Task& task) {
  nlohmann::json record = {{"type", "step"},
                           {"puzzle", row.puzzle},
                           {"trajectory", row.trajectory},
                           {"step", step},
                           {"tokens", output.answer},
                           {"board", task.render(output.answer)},
                           {"q_halt", head.q_halt},
                           {"q_continue", head.q_continue},
                           {"halt", output.wants_halt},
                           {"logits", logits_json(head.logits, model.config.vocab_size)}};
  record["value_logit"] = model.config.has_value_head ? nlohmann::json(head.value_logit) : nullptr;
  record["value"] = model.config.has_value_head ? nlohmann::json(output.value) : nullptr;
  return record;
}

int steps_command(const CommandContext& command) {
  config::StepsConfig steps;
  if (!config::apply_command_line(steps, command.arguments, config::steps_config_fields(),
                                  "gram steps")) {
    std::printf("usage: gram steps --model M --puzzles P --output OUT.jsonl [--<key> value]...\n%s",
                config::fields_help_text(config::steps_config_fields()).c_str());
    return 0;
  }
  config::validate(steps);
  if (!steps.overwrite && std::filesystem::exists(steps.output)) {
    throw Error(steps.output + ": exists (pass --overwrite to replace it)");
  }
  const model::Model model = model::load_model(steps.model);
  const auto task = model_task(model, steps.model);
  const std::vector<tasks::Puzzle> puzzles = task->read_file(steps.puzzles);
  const std::vector<DumpRow> rows = dump_rows(steps, puzzles.size());
  const int count = static_cast<int>(rows.size());
  const int depth = steps.steps > 0 ? steps.steps : model.config.max_steps;

  auto backend = backend::make_cpu_backend(1);
  engine::RecursiveModel recursion(model, *backend, count);
  JsonlWriter out(steps.output, steps.overwrite);
  for (int r = 0; r < count; ++r) {
    const tasks::Puzzle& puzzle = puzzles[rows[r].puzzle];
    recursion.start_row(r, puzzle.input);
    out.write({{"type", "input"}, {"puzzle", rows[r].puzzle}, {"id", puzzle.id},
               {"trajectory", rows[r].trajectory}, {"tokens", puzzle.input},
               {"model", steps.model}, {"seed", steps.seed}});
  }
  std::vector<backend::NoiseRow> keys(count);
  std::vector<engine::StepOutput> outputs;
  engine::HeadValues head;
  for (int step = 0; step < depth; ++step) {
    for (int r = 0; r < count; ++r) {
      keys[r] = {rows[r].puzzle, rows[r].trajectory, static_cast<std::uint32_t>(step)};
    }
    recursion.supervision_step(count, keys, steps.seed);
    recursion.read_heads(count, outputs);
    for (int r = 0; r < count; ++r) {
      recursion.read_head_values(r, head);
      out.write(step_record(rows[r], step + 1, head, outputs[r], model, *task));
    }
  }
  out.close();
  std::printf("wrote %s: %d rows x %d steps\n", steps.output.c_str(), count, depth);
  return 0;
}

}  // namespace

GRAM_REGISTER_COMMAND("steps", "dump logits, Q, value and halting at every step of chosen puzzles",
                      steps_command);

}  // namespace gram::cli
