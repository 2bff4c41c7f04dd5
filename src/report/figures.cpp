#include "report/figures.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace gram::report {

namespace {

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string last_line(const std::string& text) {
  std::istringstream lines(text);
  std::string line, last;
  while (std::getline(lines, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

}  // namespace

PlottingPython plotting_python() {
  if (const char* value = std::getenv("GRAM_PYTHON")) return {value, "GRAM_PYTHON"};
  return {"/usr/bin/python3", "default"};
}

std::string plot_script_path() { return std::string(GRAM_SOURCE_DIR) + "/tools/plot_report.py"; }

FigureResult render_figures(const std::string& tables_directory,
                            const std::string& figures_directory) {
  FigureResult result;
  result.python = plotting_python();
  result.script = plot_script_path();
  if (result.python.path.empty()) {
    result.skipped_reason = "GRAM_PYTHON is set but empty";
    return result;
  }
  if (::access(result.python.path.c_str(), X_OK) != 0) {
    result.skipped_reason = "no Python at " + result.python.path +
                            (result.python.source == "GRAM_PYTHON" ? " (GRAM_PYTHON)" : "");
    return result;
  }
  if (!std::filesystem::exists(result.script)) {
    result.skipped_reason = "plotting script not found at " + result.script;
    return result;
  }
  const std::string command = shell_quote(result.python.path) + " " + shell_quote(result.script) +
                              " " + shell_quote(tables_directory) + " " +
                              shell_quote(figures_directory) + " 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    result.skipped_reason = "cannot start " + result.python.path;
    return result;
  }
  std::string output;
  std::array<char, 4096> buffer;
  for (std::size_t read; (read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
    output.append(buffer.data(), read);
  }
  const int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string why = last_line(output);
    result.skipped_reason =
        why.empty() ? "the plotting script failed (status " + std::to_string(status) + ")" : why;
    return result;
  }
  // The script's protocol: one "wrote NAME.png" or "note: TEXT" per line.
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("wrote ", 0) == 0) {
      result.written.push_back(line.substr(6));
    } else if (line.rfind("note: ", 0) == 0) {
      result.notes.push_back(line.substr(6));
    }
  }
  return result;
}

}  // namespace gram::report
