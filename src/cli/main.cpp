// gram: the command-line front of the engine. The commands live one per file
// (src/cli/*_command.cpp) and register themselves in the table of commands.h.
//
// Every user error ends here as one line "gram: error: ..." and exit status 1.
#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "util/error.h"

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
    std::fprintf(stderr, "gram: error: unknown command '%s'\n", name.c_str());
    print_usage(stderr);
    return 2;
  }
  const gram::cli::CommandContext context{{argv + 2, argv + argc}, argc, argv};
  try {
    return found->second.run(context);
  } catch (const gram::Error& error) {
    std::fprintf(stderr, "gram: error: %s\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "gram: error: %s\n", error.what());
    return 1;
  }
}
