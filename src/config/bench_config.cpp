#include "config/bench_config.h"

#include "util/error.h"

namespace gram::config {

std::vector<int> parse_positive_list(const std::string& name, const std::vector<std::string>& items) {
  std::vector<int> numbers;
  for (const auto& item : items) numbers.push_back(parse_int(name, item, 1));
  return numbers;
}

const std::vector<BenchField>& bench_config_fields() {
  static const std::vector<BenchField> fields = {
      string_field<BenchConfig>("model", &BenchConfig::model, "safetensors checkpoint", true),
      choice_field<BenchConfig>("backend", &BenchConfig::backend, {"cpu", "cuda"},
                                "backend to time (answers are checked against the CPU first)"),
      int_list_field<BenchConfig>("widths", &BenchConfig::widths, 1,
                                  "trajectories per puzzle to time"),
      int_list_field<BenchConfig>("depths", &BenchConfig::depths, 1,
                                  "supervision steps per trajectory"),
      string_field<BenchConfig>("puzzles", &BenchConfig::puzzles,
                                "puzzle file (empty: puzzle_count puzzles generated from the task)"),
      int_field<BenchConfig>("puzzle_count", &BenchConfig::puzzle_count, 1,
                             "puzzles per batch; rows = puzzles x width"),
      int_field<BenchConfig>("warmup", &BenchConfig::warmup, 0, "untimed repetitions first"),
      int_field<BenchConfig>("repetitions", &BenchConfig::repetitions, 1, "timed repetitions"),
      int_field<BenchConfig>("verify", &BenchConfig::verify, 0,
                             "trajectories per case checked against the CPU first (0 = all)"),
      int_field<BenchConfig>("threads", &BenchConfig::threads, 0, "CPU threads (0 = all cores)"),
      uint64_field<BenchConfig>("seed", &BenchConfig::seed, "noise seed"),
      string_field<BenchConfig>("peak_gflops", &BenchConfig::peak_gflops,
                                "'measured' (the backend's GEMM: 1024^3 on the CPU, 8192^3 on a GPU) or a figure in GFLOP/s"),
      string_field<BenchConfig>("output", &BenchConfig::output,
                                "JSON file for the context block and rows (empty: none)"),
      bool_field<BenchConfig>("overwrite", &BenchConfig::overwrite,
                              "replace an existing output file"),
  };
  return fields;
}

void validate(const BenchConfig& config) {
  check_fields(config, bench_config_fields());
  if (config.widths.empty() || config.depths.empty()) {
    throw Error("config: 'widths' and 'depths' need at least one value each");
  }
  if (config.peak_gflops != "measured") parse_double("peak_gflops", config.peak_gflops, 1e-9);
}

nlohmann::json to_json(const BenchConfig& config) {
  return fields_to_json(config, bench_config_fields());
}

}  // namespace gram::config
