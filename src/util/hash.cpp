#include "util/hash.h"

#include <cstdio>
#include <string>

namespace gram {

std::string hash_to_hex(std::uint64_t hash) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace gram
