#pragma once
// The subcommands of `gram`. Each command file registers itself once with GRAM_REGISTER_COMMAND,
// so adding a command touches only its own file. A command returns the process exit status and
// throws gram::Error for user errors; main() turns those into one "gram: error: ..." line.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "distributed/communicator.h"

namespace gram::cli {

struct CommandContext {
  std::vector<std::string> arguments;  // after the command name
  int argc = 0;                        // the whole command line, for the results' context block
  char** argv = nullptr;
  // This process among the ranks of the job (rank 0 of 1 unless started by mpirun or srun).
  dist::Communicator* communicator = nullptr;
};

struct Command {
  std::string summary;  // one line for `gram --help`
  std::function<int(const CommandContext&)> run;
};

// Name -> command, ordered by name for the usage text.
std::map<std::string, Command>& command_table();

struct CommandRegistration {
  CommandRegistration(const std::string& name, Command command) {
    command_table().emplace(name, std::move(command));
  }
};

}  // namespace gram::cli

#define GRAM_REGISTER_COMMAND(name, summary, function) \
  static const ::gram::cli::CommandRegistration gram_command_registration_{name, {summary, function}}
