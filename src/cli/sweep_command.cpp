// gram sweep: width vs depth (vs model size) at identical budgets; see src/sweep/sweep.h.
#include <cstdio>

#include "cli/commands.h"
#include "config/sweep_config.h"
#include "sweep/progress.h"
#include "sweep/sweep.h"

namespace gram::cli {
namespace {

int sweep_command(const CommandContext& command) {
  config::SweepConfig sweep;
  if (!config::apply_command_line(sweep, command.arguments, config::sweep_config_fields(),
                                  "gram sweep")) {
    std::printf(
        "usage: gram sweep [--config FILE] [--set key=value] [--<key> value]...\n"
        "Runs every cell of a width/depth/grid budget sweep and writes OUTPUT/cells.jsonl;\n"
        "rerun with the same output to resume. Then: gram report OUTPUT\n%s",
        config::fields_help_text(config::sweep_config_fields()).c_str());
    return 0;
  }
  const sweep::SweepSummary summary =
      sweep::run_sweep(sweep, command.argc, command.argv, *command.communicator);
  std::printf("%d cells (%d from an earlier attempt), %d runs executed, %s\n", summary.cells,
              summary.cells_resumed, summary.runs_executed,
              sweep::format_duration(summary.wall_seconds).c_str());
  std::printf("results: %s\nreport:  gram report %s\n", summary.cells_path.c_str(),
              sweep.output.c_str());
  return 0;
}

}  // namespace

GRAM_REGISTER_COMMAND("sweep", "width vs depth vs model size at identical budgets",
                      sweep_command);

}  // namespace gram::cli
