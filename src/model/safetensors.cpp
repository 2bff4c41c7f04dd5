// The safetensors container: an 8-byte little-endian header length N, N bytes of JSON, then the
// data section that every tensor's data_offsets point into.
//
// The reader assumes the file may be truncated, hand-edited or hostile: every length, offset
// and product is checked before it is used, and every failure is one gram::Error line starting
// with the path.
#include "model/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace gram::model {
namespace {

using json = nlohmann::json;

// A header larger than this is not a model header; refusing it keeps a corrupt length field
// from asking for gigabytes of memory.
constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

std::string type_name(const json& value) { return value.type_name(); }

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

std::string range_text(std::uint64_t begin, std::uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// nlohmann prefixes its messages with "[json.exception.parse_error.101] "; the rest is the
// useful part.
std::string json_error_text(const std::exception& error) {
  std::string text = error.what();
  auto bracket = text.find("] ");
  return text.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos
             ? text.substr(bracket + 2)
             : text;
}

bool parse_dtype(const std::string& text, DType& dtype) {
  for (DType candidate : {DType::kF32, DType::kBF16, DType::kF16}) {
    if (text == dtype_name(candidate)) {
      dtype = candidate;
      return true;
    }
  }
  return false;
}

// A JSON integer that is >= 0 and fits in int64, or false.
bool non_negative_integer(const json& value, std::uint64_t& out) {
  if (value.is_number_unsigned()) {
    out = value.get<std::uint64_t>();
    return out <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  }
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    out = static_cast<std::uint64_t>(value.get<std::int64_t>());
    return true;
  }
  return false;
}

// Parses the header text and reports a key repeated within one object, which nlohmann would
// otherwise resolve silently by keeping the last value (a second tensor entry would vanish).
json parse_header(const std::string& path, const std::string& text) {
  std::vector<std::set<std::string>> open_objects;
  std::string repeated;
  auto watch = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && repeated.empty()) repeated = key;
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text, watch);
  } catch (const json::exception& error) {
    throw Error(path + ": header is not valid JSON: " + json_error_text(error));
  }
  if (!repeated.empty()) throw Error(path + ": header has the key '" + repeated + "' twice");
  if (!header.is_object()) {
    throw Error(path + ": header must be a JSON object, got " + type_name(header));
  }
  return header;
}

struct Entry {
  std::string name;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

// Checks one tensor entry against the data section and fills `tensor` (without bytes).
Entry parse_entry(const std::string& path, const std::string& name, const json& value,
                  std::uint64_t data_size, RawTensor& tensor) {
  std::string where = path + ": tensor '" + name + "'";
  if (!value.is_object()) throw Error(where + ": entry must be an object, got " + type_name(value));
  for (const auto& [key, unused] : value.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      throw Error(where + ": unexpected field '" + key + "'");
    }
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(key)) throw Error(where + ": missing field '" + key + "'");
  }

  const json& dtype = value["dtype"];
  if (!dtype.is_string()) throw Error(where + ": 'dtype' must be a string, got " + type_name(dtype));
  if (!parse_dtype(dtype.get<std::string>(), tensor.dtype)) {
    throw Error(where + " has unsupported dtype '" + dtype.get<std::string>() +
                "' (supported: F32, BF16, F16)");
  }

  const json& shape = value["shape"];
  if (!shape.is_array()) throw Error(where + ": 'shape' must be an array, got " + type_name(shape));
  for (std::size_t i = 0; i < shape.size(); ++i) {
    std::uint64_t dim = 0;
    if (!shape[i].is_number_integer()) {
      throw Error(where + ": 'shape' dimension " + std::to_string(i) + " must be an integer, got " +
                  type_name(shape[i]));
    }
    if (!non_negative_integer(shape[i], dim)) {
      throw Error(where + ": 'shape' dimension " + std::to_string(i) + " is " + shape[i].dump() +
                  " (must be >= 0 and below 2^63)");
    }
    tensor.shape.push_back(static_cast<std::int64_t>(dim));
  }
  // Bytes the shape needs. A zero dimension makes any product zero; otherwise the running
  // product must stay below 2^63 or the shape cannot describe bytes in any file.
  std::uint64_t needed = 0;
  if (std::find(tensor.shape.begin(), tensor.shape.end(), 0) == tensor.shape.end()) {
    constexpr auto kLimit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    needed = dtype_size(tensor.dtype);
    for (auto dim : tensor.shape) {
      if (needed > kLimit / static_cast<std::uint64_t>(dim)) {
        throw Error(where + ": shape " + shape_text(tensor.shape) + " is too large");
      }
      needed *= static_cast<std::uint64_t>(dim);
    }
  }

  const json& offsets = value["data_offsets"];
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_integer() ||
      !offsets[1].is_number_integer() || !non_negative_integer(offsets[0], begin) ||
      !non_negative_integer(offsets[1], end)) {
    throw Error(where + ": 'data_offsets' must be [begin, end] with integers in 0..2^63-1, got " +
                offsets.dump());
  }
  if (end < begin) throw Error(where + ": data_offsets " + range_text(begin, end) + " end before they begin");
  if (end - begin != needed) {
    throw Error(where + ": data_offsets " + range_text(begin, end) + " hold " +
                std::to_string(end - begin) + " bytes, shape " + shape_text(tensor.shape) + " " +
                dtype_name(tensor.dtype) + " needs " + std::to_string(needed));
  }
  if (end > data_size) {
    throw Error(where + ": data_offsets " + range_text(begin, end) +
                " run past the end of the data section (" + std::to_string(data_size) + " bytes)");
  }
  return Entry{name, begin, end};
}

void parse_metadata(const std::string& path, const json& value,
                    std::map<std::string, std::string>& metadata) {
  if (!value.is_object()) {
    throw Error(path + ": __metadata__ must be an object, got " + type_name(value));
  }
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      throw Error(path + ": __metadata__ value for '" + key + "' must be a string, got " +
                  type_name(item));
    }
    metadata[key] = item.get<std::string>();
  }
}

// Empty tensors own no bytes and cannot overlap anything.
void check_overlaps(const std::string& path, std::vector<Entry> entries) {
  std::erase_if(entries, [](const Entry& entry) { return entry.begin == entry.end; });
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (std::size_t i = 1; i < entries.size(); ++i) {
    const Entry& before = entries[i - 1];
    const Entry& after = entries[i];
    if (after.begin < before.end) {
      throw Error(path + ": tensors '" + before.name + "' " + range_text(before.begin, before.end) +
                  " and '" + after.name + "' " + range_text(after.begin, after.end) + " overlap");
    }
  }
}

void read_exactly(const std::string& path, std::ifstream& in, char* into, std::uint64_t count,
                  const char* what) {
  in.read(into, static_cast<std::streamsize>(count));
  if (!in || static_cast<std::uint64_t>(in.gcount()) != count) {
    throw Error(path + ": cannot read " + what + " (file changed or unreadable)");
  }
}

// Writes all of `bytes` to `fd`, retrying short writes and interrupted calls.
bool write_all(int fd, const char* bytes, std::size_t count) {
  while (count > 0) {
    ssize_t written = ::write(fd, bytes, count);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes += written;
    count -= static_cast<std::size_t>(written);
  }
  return true;
}

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw Error(path + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open: " + std::strerror(errno));
  std::uint64_t file_size = std::filesystem::file_size(path, error);
  if (error) throw Error(path + ": cannot read the file size: " + error.message());
  if (file_size < 8) {
    throw Error(path + ": file is " + std::to_string(file_size) +
                " bytes, too short for a safetensors header length (8 bytes)");
  }

  unsigned char length_bytes[8];
  read_exactly(path, in, reinterpret_cast<char*>(length_bytes), 8, "the header length");
  std::uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = header_size << 8 | length_bytes[i];
  if (header_size > kMaxHeaderBytes) {
    throw Error(path + ": header length " + std::to_string(header_size) +
                " exceeds the 100 MiB limit (not a safetensors file?)");
  }
  if (header_size > file_size - 8) {
    throw Error(path + ": header length " + std::to_string(header_size) +
                " runs past the end of the file (" + std::to_string(file_size) + " bytes)");
  }
  std::string header_text(header_size, '\0');
  read_exactly(path, in, header_text.data(), header_size, "the header");
  json header = parse_header(path, header_text);

  std::uint64_t data_start = 8 + header_size;
  std::uint64_t data_size = file_size - data_start;
  SafetensorsFile file;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      parse_metadata(path, value, file.metadata);
      continue;
    }
    RawTensor tensor;
    entries.push_back(parse_entry(path, name, value, data_size, tensor));
    file.tensors.emplace(name, std::move(tensor));
  }
  check_overlaps(path, entries);

  for (const Entry& entry : entries) {
    RawTensor& tensor = file.tensors.at(entry.name);
    tensor.bytes.resize(entry.end - entry.begin);
    if (tensor.bytes.empty()) continue;
    in.seekg(static_cast<std::streamoff>(data_start + entry.begin));
    read_exactly(path, in, reinterpret_cast<char*>(tensor.bytes.data()), tensor.bytes.size(),
                 ("the data of tensor '" + entry.name + "'").c_str());
  }
  return file;
}

void write_safetensors(const std::string& path, const SafetensorsFile& file) {
  // The header first, so that a bad tensor fails before anything touches the disk.
  json header = json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : file.tensors) {  // std::map: name order
    if (name == "__metadata__") throw Error(path + ": cannot write a tensor named '__metadata__'");
    std::uint64_t needed = dtype_size(tensor.dtype);
    for (auto dim : tensor.shape) {
      if (dim < 0) {
        throw Error(path + ": cannot write tensor '" + name + "': negative dimension in shape " +
                    shape_text(tensor.shape));
      }
      needed *= static_cast<std::uint64_t>(dim);  // bytes exist in memory, so no overflow
    }
    if (tensor.bytes.size() != needed) {
      throw Error(path + ": cannot write tensor '" + name + "': " +
                  std::to_string(tensor.bytes.size()) + " bytes for shape " +
                  shape_text(tensor.shape) + " " + dtype_name(tensor.dtype) + " (needs " +
                  std::to_string(needed) + ")");
    }
    header[name] = {{"dtype", dtype_name(tensor.dtype)},
                    {"shape", tensor.shape},
                    {"data_offsets", {offset, offset + needed}}};
    offset += needed;
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const json::exception& error) {  // a name or metadata string that is not UTF-8
    throw Error(path + ": cannot write the header: " + json_error_text(error));
  }
  // Padding the header to a multiple of 8 puts the data section on an 8-byte boundary, so a
  // reader that maps the file can use the tensors in place.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  unsigned char length_bytes[8];
  for (int i = 0; i < 8; ++i) {
    length_bytes[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(header_text.size()) >> (8 * i));
  }

  // Temporary file, then rename: a crash or a full disk never leaves a half-written model
  // under the final name.
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path + ": cannot create " + temporary + ": " + std::strerror(errno));
  bool ok = write_all(fd, reinterpret_cast<const char*>(length_bytes), 8) &&
            write_all(fd, header_text.data(), header_text.size());
  for (auto it = file.tensors.begin(); ok && it != file.tensors.end(); ++it) {
    ok = write_all(fd, reinterpret_cast<const char*>(it->second.bytes.data()), it->second.bytes.size());
  }
  ok = ok && ::fsync(fd) == 0;
  int saved_errno = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    saved_errno = errno;
  }
  if (ok && std::rename(temporary.c_str(), path.c_str()) != 0) {
    ok = false;
    saved_errno = errno;
  }
  if (!ok) {
    ::unlink(temporary.c_str());
    throw Error(path + ": cannot write: " + std::strerror(saved_errno));
  }
}

}  // namespace gram::model
