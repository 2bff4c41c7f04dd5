#pragma once
// The context block every result file starts with: which build ran, where, when, how it was
// invoked, and the environment variables that change its behaviour.
//
// Two result files can only be compared if their context blocks say they are comparable, so
// everything here is captured once at start-up and written verbatim (to_json) as the first
// record. The behaviour-changing environment variables are listed in one place,
// behaviour_environment_variables(), so that a variable that changes results cannot be read
// without also being echoed into them.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gram {

struct RunContext {
  std::string host;          // gethostname()
  unsigned cores = 0;        // std::thread::hardware_concurrency() (0 = unknown)
  std::string commit;        // git describe of the source tree the binary was built from
  std::string build_type;    // CMAKE_BUILD_TYPE
  std::string compiler;      // "<id>-<version>"
  std::string start_time;    // ISO-8601 UTC, e.g. "2025-01-31T12:34:56Z"
  std::string command_line;  // argv joined by spaces, shell-quoted where needed
  std::map<std::string, std::string> environment;  // those of the list below that are set
};

// OPENBLAS_NUM_THREADS and OPENBLAS_CORETYPE (the SGEMM rate measured as the peak),
// CUDA_VISIBLE_DEVICES, GRAM_LOG_DIR (per-rank logs of a distributed run,
// docs/distributed.md), GRAM_CUDA_MATH (the CUDA backend's GEMM arithmetic), GRAM_PYTHON (the
// report's plotting interpreter). GRAM_CPU_GEMM is echoed through the backend's description.
const std::vector<std::string>& behaviour_environment_variables();

RunContext capture_run_context(int argc, char** argv);
nlohmann::json to_json(const RunContext& context);

}  // namespace gram
