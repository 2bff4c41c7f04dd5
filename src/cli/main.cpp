// gram: the command-line front of the engine.
//
//   gram run      N trajectories per puzzle to depth S, aggregated, one JSONL record per puzzle
//   gram info     a model's config, parameter count and FLOPs per application and step
//   gram generate seeded puzzle sets for a task
//
// Every user error ends here as one line "gram: error: ..." and exit status 1.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "util/error.h"

namespace {

void print_usage() {
  std::fputs(
      "usage: gram <command> [options]\n"
      "  run       run trajectories and aggregate (gram run --help)\n"
      "  info      describe a model (gram info MODEL)\n"
      "  generate  write a seeded puzzle set (gram generate --help)\n",
      stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  std::vector<std::string> arguments(argv + 2, argv + argc);
  try {
    if (command == "run") return gram::cli::run_command(arguments, argc, argv);
    if (command == "info") return gram::cli::info_command(arguments);
    if (command == "generate") return gram::cli::generate_command(arguments);
    std::fprintf(stderr, "gram: error: unknown command '%s'\n", command.c_str());
    print_usage();
    return 2;
  } catch (const gram::Error& error) {
    std::fprintf(stderr, "gram: error: %s\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "gram: error: %s\n", error.what());
    return 1;
  }
}
