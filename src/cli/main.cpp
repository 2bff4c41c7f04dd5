// gram: the command-line front of the engine. The commands live one per file
// (src/cli/*_command.cpp) and register themselves in the table of commands.h.
//
// Every user error ends here as one line "gram: error: ..." and exit status 1. In a job of
// several ranks (mpirun, srun) the line names the rank and host, and the whole job is aborted:
// the other ranks may be waiting for this one in a collective, and must not hang there.
//
// SIGTERM and SIGINT stop every rank at the next safe point (util/stop_signal.h); rank 0 prints
// one line "gram: stopped by ..." saying what was saved, and every rank exits with 128 + the
// signal (143 for SIGTERM) after a normal shutdown of the communicator. docs/faults.md.
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "distributed/communicator.h"
#include "engine/distributed_run.h"
#include "util/error.h"
#include "util/stop_signal.h"

namespace gram::cli {

std::map<std::string, Command>& command_table() {
  static std::map<std::string, Command> table;
  return table;
}

}  // namespace gram::cli

namespace {

void print_usage(std::FILE* stream) {
  std::fputs("usage: gram <command> [options]   (gram <command> --help for its options)\n", stream);
  for (const auto& [name, command] : gram::cli::command_table()) {
    std::fprintf(stream, "  %-9s %s\n", name.c_str(), command.summary.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_usage(stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  const auto& table = gram::cli::command_table();
  const auto found = table.find(name);
  if (found == table.end()) {
    // One line like every other error (a log keeps only its last lines); --help lists them.
    std::fprintf(stderr, "gram: error: unknown command '%s' (gram --help lists the commands)\n",
                 name.c_str());
    return 1;
  }
  std::unique_ptr<gram::dist::Communicator> communicator;
  try {
    communicator = gram::dist::make_communicator(&argc, &argv);
    gram::engine::open_rank_log(*communicator);
    gram::install_stop_handlers();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "gram: error: %s\n", error.what());
    return 1;
  }
  auto fail = [&](const char* message) {
    if (communicator->size() > 1) {
      std::fprintf(stderr, "gram: error: rank %d on %s: %s\n", communicator->rank(),
                   communicator->host().c_str(), message);
      gram::engine::rank_log(std::string("error: ") + message);
      communicator->abort(1);
    }
    std::fprintf(stderr, "gram: error: %s\n", message);
    return 1;
  };
  const gram::cli::CommandContext context{{argv + 2, argv + argc}, argc, argv, communicator.get()};
  try {
    return found->second.run(context);
  } catch (const gram::Stopped& stopped) {
    // Every rank got here together (engine::DistributedRun agrees on the stop), so the
    // communicator shuts down normally when `communicator` goes out of scope.
    gram::engine::rank_log(stopped.what());
    if (communicator->rank() == 0) std::fprintf(stderr, "gram: %s\n", stopped.what());
    return gram::stop_exit_status(stopped.signal());
  } catch (const std::exception& error) {
    return fail(error.what());
  }
}
