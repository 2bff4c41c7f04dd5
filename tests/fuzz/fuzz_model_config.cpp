// The "gram_config" JSON of a model file: parsing, validation, and the accounting every
// command prints from a valid config (tensor shapes, parameters, FLOPs), where a config that
// passes validation must not overflow.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_input.h"
#include "model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return 0;  // not JSON: the loader stops before the config
  gram::fuzz::expect_clean_errors([&] {
    const auto config = gram::model::ModelConfig::from_json(parsed);
    config.validate();
    gram::model::expected_tensors(config);
    gram::model::count_parameters(config);
    gram::model::count_flops(config);
    // What the engine writes back must read back (results embed the config).
    gram::model::ModelConfig::from_json(config.to_json()).validate();
  });
  return 0;
}
