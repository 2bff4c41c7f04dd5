// The model file as `gram run`, `gram sweep` and `gram info` read it: the safetensors container
// (header length, JSON header, offsets), the element conversions, then the whole loader (the
// gram_config metadata, the tensor set against the config, finite values).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "model/safetensors.h"
#include "model/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gram::fuzz::write_input(gram::fuzz::as_text(data, size),
                                                   "model.safetensors");
  gram::fuzz::expect_clean_errors([&] {
    const gram::model::SafetensorsFile file = gram::model::read_safetensors(path);
    for (const auto& [name, tensor] : file.tensors) gram::model::to_float32(tensor);
  });
  gram::fuzz::expect_clean_errors([&] { gram::model::load_model(path); });
  return 0;
}
