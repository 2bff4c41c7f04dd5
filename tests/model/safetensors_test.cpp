// The safetensors container: one test per rejection, each checking that the message names the
// file and the thing at fault, plus the writer's layout and atomicity.
#include "model/safetensors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "model/model_test_helpers.h"
#include "util/temp_dir.h"

namespace gram::model {
namespace {

using testing::has_substr;
using testing::starts_with;
using testing::error_message;
using testing::safetensors_bytes;

// Writes `bytes` to a file in `dir` and returns the reader's error for it.
std::string read_error(const gram::testing::TempDir& dir, const std::string& bytes) {
  std::string path = dir.write("bad.safetensors", bytes);
  return error_message([&] { read_safetensors(path); });
}

TEST(SafetensorsRead, FileShorterThanEightBytes) {
  gram::testing::TempDir dir;
  std::string message = read_error(dir, "abc");
  EXPECT_TRUE(starts_with(message, dir.file("bad.safetensors") + ": "));
  EXPECT_TRUE(has_substr(message, "file is 3 bytes"));
}

TEST(SafetensorsRead, HeaderLengthBeyondFile) {
  gram::testing::TempDir dir;
  std::string bytes = safetensors_bytes("{}");
  bytes[0] = 100;  // claims 100 header bytes, 2 present
  std::string message = read_error(dir, bytes);
  EXPECT_TRUE(starts_with(message, dir.file("bad.safetensors") + ": header length 100 runs past"));
  EXPECT_TRUE(has_substr(message, "(10 bytes)"));
}

TEST(SafetensorsRead, HeaderLengthAboveCap) {
  gram::testing::TempDir dir;
  std::string bytes = safetensors_bytes("{}");
  bytes[3] = 0x10;  // 2^28 + 2 bytes
  EXPECT_TRUE(has_substr(read_error(dir, bytes), "header length 268435458 exceeds the 100 MiB limit"));
}

TEST(SafetensorsRead, HeaderNotJson) {
  gram::testing::TempDir dir;
  std::string message = read_error(dir, safetensors_bytes("{\"a\": nope}"));
  EXPECT_TRUE(starts_with(message, dir.file("bad.safetensors") + ": header is not valid JSON: "));
  EXPECT_TRUE(has_substr(message, "line 1, column"));
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(SafetensorsRead, HeaderNotAnObject) {
  gram::testing::TempDir dir;
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes("[1, 2]")), ": header must be a JSON object, got array"));
}

TEST(SafetensorsRead, RepeatedKey) {
  gram::testing::TempDir dir;
  std::string header = R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                       R"( "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, std::string(8, '\0'))), ": header has the key 'w' twice"));
}

TEST(SafetensorsRead, EntryMissingField) {
  gram::testing::TempDir dir;
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(R"({"w": {"dtype": "F32", "shape": [1]}})", "abcd")), ": tensor 'w': missing field 'data_offsets'"));
}

TEST(SafetensorsRead, EntryExtraField) {
  gram::testing::TempDir dir;
  std::string header = R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, "abcd")), ": tensor 'w': unexpected field 'x'"));
}

TEST(SafetensorsRead, EntryNotAnObject) {
  gram::testing::TempDir dir;
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(R"({"w": [1]})")), ": tensor 'w': entry must be an object, got array"));
}

TEST(SafetensorsRead, FieldOfWrongType) {
  gram::testing::TempDir dir;
  std::string header = R"({"w": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, "abcd")), ": tensor 'w': 'shape' must be an array, got string"));
  header = R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, "abcd")), ": tensor 'w': 'shape' dimension 0 must be an integer, got number"));
  header = R"({"w": {"dtype": 4, "shape": [1], "data_offsets": [0, 4]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, "abcd")), ": tensor 'w': 'dtype' must be a string, got number"));
  header = R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, "abcd")), ": tensor 'w': 'data_offsets' must be [begin, end]"));
}

TEST(SafetensorsRead, UnsupportedDtype) {
  gram::testing::TempDir dir;
  std::string header = R"({"ids": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, std::string(8, '\0'))), ": tensor 'ids' has unsupported dtype 'I64'"));
}

TEST(SafetensorsRead, NegativeDimension) {
  gram::testing::TempDir dir;
  std::string header = R"({"w": {"dtype": "F32", "shape": [2, -2], "data_offsets": [0, 0]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header)), ": tensor 'w': 'shape' dimension 1 is -2"));
}

TEST(SafetensorsRead, ShapeTooLarge) {
  gram::testing::TempDir dir;
  std::string header =
      R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header)), ": tensor 'w': shape [4294967296, 4294967296] is too large"));
}

TEST(SafetensorsRead, SizeDoesNotMatchShape) {
  gram::testing::TempDir dir;
  std::string header = R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, std::string(12, '\0'))), ": tensor 'w': data_offsets [0, 8] hold 8 bytes, shape [3] F32 needs 12"));
}

TEST(SafetensorsRead, OffsetsEndBeforeBegin) {
  gram::testing::TempDir dir;
  std::string header = R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, std::string(8, '\0'))), ": tensor 'w': data_offsets [8, 4] end before they begin"));
}

TEST(SafetensorsRead, OffsetsOutOfRange) {
  gram::testing::TempDir dir;
  std::string header = R"({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 8]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, std::string(6, '\0'))), ": tensor 'w': data_offsets [4, 8] run past the end of the data "
                        "section (6 bytes)"));
}

TEST(SafetensorsRead, OverlappingTensors) {
  gram::testing::TempDir dir;
  std::string header = R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                       R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})";
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(header, std::string(12, '\0'))), ": tensors 'a' [0, 8] and 'b' [4, 12] overlap"));
}

TEST(SafetensorsRead, MetadataValueNotAString) {
  gram::testing::TempDir dir;
  EXPECT_TRUE(has_substr(read_error(dir, safetensors_bytes(R"({"__metadata__": {"epoch": 3}})")), ": __metadata__ value for 'epoch' must be a string, got number"));
}

TEST(SafetensorsRead, MissingFileAndDirectory) {
  gram::testing::TempDir dir;
  std::string missing = dir.file("absent.safetensors");
  EXPECT_TRUE(starts_with(error_message([&] { read_safetensors(missing); }), missing + ": cannot open"));
  std::string folder = dir.file("folder");
  std::filesystem::create_directory(folder);
  EXPECT_EQ(error_message([&] { read_safetensors(folder); }), folder + ": is a directory");
}

TEST(SafetensorsRead, AcceptsGapsEmptyTensorsAndScalars) {
  gram::testing::TempDir dir;
  // A scalar (shape []), an empty tensor, and a 4-byte gap no writer of ours would leave.
  std::string header = R"({"s": {"dtype": "F32", "shape": [], "data_offsets": [8, 12]},)"
                       R"( "e": {"dtype": "F16", "shape": [0, 3], "data_offsets": [8, 8]},)"
                       R"( "h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})";
  std::string data("\x00\x3c\x00\xc0????\x00\x00\x80\x3f", 12);
  std::string path = dir.write("ok.safetensors", safetensors_bytes(header, data));
  SafetensorsFile file = read_safetensors(path);
  ASSERT_EQ(file.tensors.size(), 3u);
  EXPECT_EQ(to_float32(file.tensors.at("s")), std::vector<float>{1.0f});
  EXPECT_TRUE(to_float32(file.tensors.at("e")).empty());
  EXPECT_EQ(to_float32(file.tensors.at("h")), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_TRUE(file.metadata.empty());
}

TEST(SafetensorsWrite, RoundTripKeepsEverything) {
  gram::testing::TempDir dir;
  SafetensorsFile file;
  file.metadata = {{"format", "test"}, {"note", "caf\xc3\xa9"}};
  file.tensors["zeta"] = from_float32({1, 2, 3, 4, 5, 6}, {2, 3}, DType::kF32);
  file.tensors["alpha"] = from_float32({0.5f, -1.5f}, {2}, DType::kBF16);
  file.tensors["mid"] = from_float32({0.25f}, {1, 1, 1}, DType::kF16);
  file.tensors["empty"] = from_float32({}, {0}, DType::kF32);
  std::string path = dir.file("round.safetensors");
  write_safetensors(path, file);
  SafetensorsFile back = read_safetensors(path);
  EXPECT_EQ(back.metadata, file.metadata);
  ASSERT_EQ(back.tensors.size(), file.tensors.size());
  for (const auto& [name, tensor] : file.tensors) {
    const RawTensor& read = back.tensors.at(name);
    EXPECT_EQ(read.dtype, tensor.dtype) << name;
    EXPECT_EQ(read.shape, tensor.shape) << name;
    EXPECT_EQ(read.bytes, tensor.bytes) << name;
  }
}

TEST(SafetensorsWrite, LayoutIsSortedPaddedAndContiguous) {
  gram::testing::TempDir dir;
  SafetensorsFile file;
  file.tensors["b"] = from_float32({1, 2, 3}, {3});
  file.tensors["a"] = from_float32({4}, {1}, DType::kBF16);
  std::string path = dir.file("layout.safetensors");
  write_safetensors(path, file);
  std::string bytes = gram::testing::read_file(path);
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = length << 8 | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(length % 8, 0u);
  std::string header = bytes.substr(8, length);
  std::string json_text = R"({"a":{"data_offsets":[0,2],"dtype":"BF16","shape":[1]},)"
                          R"("b":{"data_offsets":[2,14],"dtype":"F32","shape":[3]}})";
  ASSERT_GE(length, json_text.size());
  EXPECT_LT(length - json_text.size(), 8u);  // padding only up to the next multiple of 8
  EXPECT_EQ(header, json_text + std::string(length - json_text.size(), ' '));
  EXPECT_EQ(bytes.size(), 8 + length + 14);
}

TEST(SafetensorsWrite, ReplacesAtomicallyAndLeavesNoTemporary) {
  gram::testing::TempDir dir;
  std::string path = dir.file("model.safetensors");
  SafetensorsFile first;
  first.tensors["w"] = from_float32({1}, {1});
  write_safetensors(path, first);
  SafetensorsFile second;
  second.tensors["w"] = from_float32({2, 3}, {2});
  write_safetensors(path, second);
  EXPECT_EQ(to_float32(read_safetensors(path).tensors.at("w")), (std::vector<float>{2, 3}));
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file(""))) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(SafetensorsWrite, FailedRenameRemovesTemporary) {
  gram::testing::TempDir dir;
  std::string path = dir.file("taken");
  std::filesystem::create_directory(path);
  std::filesystem::create_directory(path + "/inside");  // a non-empty folder cannot be replaced
  SafetensorsFile file;
  file.tensors["w"] = from_float32({1}, {1});
  EXPECT_TRUE(starts_with(error_message([&] { write_safetensors(path, file); }), path + ": cannot write: "));
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file(""))) {
    EXPECT_EQ(entry.path().filename(), "taken");
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(SafetensorsWrite, MissingFolderIsAnError) {
  gram::testing::TempDir dir;
  std::string path = dir.file("no/such/folder/model.safetensors");
  EXPECT_TRUE(starts_with(error_message([&] { write_safetensors(path, SafetensorsFile{}); }), path + ": cannot create "));
}

TEST(SafetensorsWrite, RejectsBytesThatDoNotMatchTheShape) {
  gram::testing::TempDir dir;
  SafetensorsFile file;
  file.tensors["w"] = from_float32({1, 2}, {2});
  file.tensors["w"].shape = {3};
  std::string path = dir.file("bad.safetensors");
  EXPECT_EQ(error_message([&] { write_safetensors(path, file); }),
            path + ": cannot write tensor 'w': 8 bytes for shape [3] F32 (needs 12)");
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace gram::model
