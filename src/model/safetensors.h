#pragma once
// Reading and writing the safetensors container (8-byte little-endian header length, a JSON
// header, then raw little-endian tensor bytes).
//
// The reader trusts nothing: header length, JSON, dtypes, shapes and byte ranges are all
// checked, and each failure is one gram::Error line that starts with the file's path.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gram::model {

enum class DType { kF32, kBF16, kF16 };
const char* dtype_name(DType dtype);  // "F32", "BF16", "F16"
std::size_t dtype_size(DType dtype);  // bytes per element: 4, 2, 2

struct RawTensor {
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;  // little-endian, row-major
};

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;  // the `__metadata__` string map
  std::map<std::string, RawTensor> tensors;
};

SafetensorsFile read_safetensors(const std::string& path);
// Writes atomically (temporary file + rename), tensors in name order, 8-byte aligned data.
void write_safetensors(const std::string& path, const SafetensorsFile& file);

// Element conversions used by the loader (BF16/F16 weights are widened to F32 on load).
std::vector<float> to_float32(const RawTensor& tensor);
RawTensor from_float32(const std::vector<float>& values, std::vector<std::int64_t> shape,
                       DType dtype = DType::kF32);

}  // namespace gram::model
