#include "distributed/nccl_bootstrap.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "distributed/deadline.h"
#include "util/error.h"

namespace gram::dist {
namespace {

constexpr const char* kHeader = "gram-nccl-id 1";

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

int environment_count(const char* name) {
  const std::string text = environment(name);
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0) {
    throw Error(std::string("NCCL bootstrap: ") + name + " is '" + text +
                "', expected a whole number (is this process started by srun?)");
  }
  return static_cast<int>(value);
}

std::string to_hex(const std::string& bytes) {
  static const char* const kDigits = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : bytes) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 15];
  }
  return hex;
}

// The bytes of `hex`; `ok` says whether it was lower-case hex digits in pairs.
std::string from_hex(const std::string& hex, bool& ok) {
  ok = hex.size() % 2 == 0;
  std::string bytes;
  for (std::size_t i = 0; ok && i < hex.size(); i += 2) {
    auto digit = [&](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      ok = false;
      return 0;
    };
    bytes += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
  }
  return bytes;
}

struct Published {
  bool exists = false;  // a file is there
  bool complete = false;
  std::string token;
  int size = 0;
  std::string id;
};

Published read_published(const std::string& path) {
  Published published;
  std::ifstream in(path);
  if (!in) return published;
  published.exists = true;
  std::string header, token_key, size_key, id_key, hex;
  std::getline(in, header);
  in >> token_key >> published.token >> size_key >> published.size >> id_key >> hex;
  bool hex_ok = false;
  published.id = from_hex(hex, hex_ok);
  published.complete = in && header == kHeader && token_key == "token" && size_key == "size" &&
                       id_key == "id" && hex_ok && !hex.empty();
  return published;
}

void publish(const FileBootstrap& bootstrap, const std::string& root_id) {
  const std::string temporary = bootstrap.path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << kHeader << "\ntoken " << bootstrap.token << "\nsize " << bootstrap.size << "\nid "
        << to_hex(root_id) << "\n";
    out.close();
    if (!out) {
      throw Error("NCCL bootstrap: cannot write " + temporary + ": " + std::strerror(errno) +
                  " (rank 0 of " + std::to_string(bootstrap.size) + ")");
    }
  }
  if (std::rename(temporary.c_str(), bootstrap.path.c_str()) != 0) {
    throw Error("NCCL bootstrap: cannot rename " + temporary + " to " + bootstrap.path + ": " +
                std::strerror(errno));
  }
}

}  // namespace

FileBootstrap file_bootstrap_from_environment() {
  FileBootstrap bootstrap;
  bootstrap.rank = environment_count("SLURM_PROCID");
  bootstrap.size = environment_count("SLURM_NTASKS");
  const std::string restarts = environment("SLURM_RESTART_COUNT");
  bootstrap.token = environment("SLURM_JOB_ID") + "." + environment("SLURM_STEP_ID") + "." +
                    (restarts.empty() ? "0" : restarts);
  bootstrap.path = environment("GRAM_NCCL_ID_FILE");
  if (bootstrap.path.empty()) {
    const std::string directory = environment("SLURM_SUBMIT_DIR");
    bootstrap.path = (directory.empty() ? std::string(".") : directory) + "/.gram-nccl-" +
                     bootstrap.token + ".id";
  }
  bootstrap.timeout_seconds = nccl_timeout_seconds();
  return bootstrap;
}

std::string exchange_id_over_file(const FileBootstrap& bootstrap, const std::string& root_id) {
  GRAM_ASSERT(bootstrap.size >= 1 && bootstrap.rank >= 0 && bootstrap.rank < bootstrap.size,
              "bootstrap rank outside the world");
  if (bootstrap.rank == 0) {
    publish(bootstrap, root_id);
    return root_id;
  }
  Published seen;
  const bool found = poll_until(
      [&] {
        seen = read_published(bootstrap.path);
        return seen.complete && seen.token == bootstrap.token && seen.size == bootstrap.size;
      },
      bootstrap.timeout_seconds);
  if (found) return seen.id;
  std::string what = "the file does not exist";
  if (seen.exists && !seen.complete) what = "the file is not an id file";
  if (seen.complete) {
    what = "it holds token " + seen.token + " for " + std::to_string(seen.size) +
           " ranks, not this launch's " + bootstrap.token + " for " +
           std::to_string(bootstrap.size) + " (a file another job left)";
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", bootstrap.timeout_seconds);
  throw Error("NCCL bootstrap: no id from rank 0 in " + bootstrap.path + " within " + seconds +
              " s (GRAM_NCCL_TIMEOUT): " + what + " (rank " + std::to_string(bootstrap.rank) +
              " of " + std::to_string(bootstrap.size) + ")");
}

void remove_bootstrap_file(const FileBootstrap& bootstrap) {
  if (bootstrap.rank != 0) return;
  std::error_code ignored;
  std::filesystem::remove(bootstrap.path, ignored);
}

}  // namespace gram::dist
