#pragma once
// The subcommands of `gram`; each returns the process exit status and throws gram::Error for
// user errors.
#include <string>
#include <vector>

namespace gram::cli {

int run_command(const std::vector<std::string>& arguments, int argc, char** argv);
int info_command(const std::vector<std::string>& arguments);
int generate_command(const std::vector<std::string>& arguments);

}  // namespace gram::cli
