#pragma once
// What every fuzz target shares: the input as a file (the engine's readers take paths, and the
// path appears in their errors exactly as in a real run), and the rule that gram::Error is the
// engine's clean answer to bad input. Any other exception escapes LLVMFuzzerTestOneInput, and
// libFuzzer reports it as a crash together with the input that caused it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "util/error.h"

namespace gram::fuzz {

// A scratch directory for this process: $TMPDIR, else /dev/shm (memory, so that writing the
// input costs microseconds), else /tmp. Created once, reused by every input.
inline const std::filesystem::path& scratch_directory() {
  static const std::filesystem::path directory = [] {
    const char* tmpdir = std::getenv("TMPDIR");
    std::filesystem::path base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir
                                 : std::filesystem::is_directory("/dev/shm") ? "/dev/shm"
                                                                            : "/tmp";
    auto directory = base / ("gram-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    return directory;
  }();
  return directory;
}

// Writes `bytes` to `name` in the scratch directory and returns its path.
inline std::string write_input(std::string_view bytes, const std::string& name) {
  const std::filesystem::path path = scratch_directory() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(),
                                                                 static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `body`; a gram::Error is the expected outcome for most inputs and is dropped. A failed
// GRAM_ASSERT is a gram::Error too, but it says the engine's own invariant broke: input must
// be refused before it gets that far, so that one aborts like a crash.
template <typename Body>
void expect_clean_errors(Body body) {
  try {
    body();
  } catch (const Error& error) {
    if (std::string_view(error.what()).starts_with("internal check failed")) {
      std::fprintf(stderr, "fuzz: bad input reached an internal check: %s\n", error.what());
      std::abort();
    }
  }
}

}  // namespace gram::fuzz
