// The typed configs of `gram run`, `gram sweep` and `gram bench` (config_table.h): a YAML file
// given with --config, then --set key=value overrides, then the cross-field checks, exactly as
// the commands apply them. Input: the first byte picks the config; the text up to a line "%%"
// is the YAML file, every later line one --set assignment.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/bench_config.h"
#include "config/run_config.h"
#include "config/sweep_config.h"
#include "fuzz/fuzz_input.h"

namespace {

template <class Config, class Fields, class Check>
void apply(const std::vector<std::string>& arguments, const Fields& fields, Check check) {
  gram::fuzz::expect_clean_errors([&] {
    Config config;
    if (!gram::config::apply_command_line(config, arguments, fields, "gram fuzz")) return;
    check(config);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text = gram::fuzz::as_text(data + 1, size - 1);
  const std::size_t marker = text.find("\n%%\n");
  const std::string path = gram::fuzz::write_input(text.substr(0, marker), "config.yaml");
  std::vector<std::string> arguments = {"--config", path};
  if (marker != std::string_view::npos) {
    std::string_view rest = text.substr(marker + 4);
    while (!rest.empty()) {
      const std::size_t end = rest.find('\n');
      arguments.push_back("--set");
      arguments.emplace_back(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
  }

  using namespace gram::config;
  switch (data[0] % 3) {
    case 0:
      apply<RunConfig>(arguments, run_config_fields(), [](const RunConfig& config) {
        validate(config);
        to_json(config);
      });
      break;
    case 1:
      apply<SweepConfig>(arguments, sweep_config_fields(), [](const SweepConfig& config) {
        validate(config);
        parse_shard(config.shard);
        sweep_models(config);
        result_defining_json(config);
      });
      break;
    default:
      apply<BenchConfig>(arguments, bench_config_fields(), [](const BenchConfig& config) {
        validate(config);
        parse_positive_list("widths", config.widths);
        parse_positive_list("depths", config.depths);
        to_json(config);
      });
  }
  return 0;
}
