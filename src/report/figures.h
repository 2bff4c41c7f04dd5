#pragma once
// Figures of a report: tools/plot_report.py, run with the system Python (Debian's matplotlib),
// reads the report's CSV tables and writes PNGs. A missing Python, script or matplotlib never
// fails the report; the reason is printed in report.md as "figures skipped: <reason>".
#include <string>
#include <vector>

namespace gram::report {

// The Python that runs the plotting script: $GRAM_PYTHON if set (the only place it is read;
// report.md echoes it), else /usr/bin/python3. The `python3` first on PATH is not used: it may
// be a virtual environment without matplotlib.
struct PlottingPython {
  std::string path;
  std::string source;  // "GRAM_PYTHON" or "default"
};
PlottingPython plotting_python();

// The script, from the source tree the binary was built from (GRAM_SOURCE_DIR); so `gram
// report` finds it when run from any build directory of that tree.
std::string plot_script_path();

struct FigureResult {
  PlottingPython python;
  std::string script;
  std::string skipped_reason;        // set when no figure could be drawn at all
  std::vector<std::string> written;  // file names under the figures directory
  std::vector<std::string> notes;    // per-figure notes ("coverage_vs_width: no coverage data")
};

FigureResult render_figures(const std::string& tables_directory,
                            const std::string& figures_directory);

}  // namespace gram::report
