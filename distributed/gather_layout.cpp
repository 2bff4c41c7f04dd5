#include "distributed/gather_layout.h"

#include "util/error.h"

namespace gram::dist {

GatherLayout gather_layout(std::span<const std::uint64_t> sizes) {
  GatherLayout layout;
  layout.sizes.assign(sizes.begin(), sizes.end());
  for (std::uint64_t size : sizes) {
    layout.offsets.push_back(layout.total);
    GRAM_ASSERT(layout.total + size >= layout.total, "gathered bytes overflow 64 bits");
    layout.total += size;
  }
  return layout;
}

std::vector<std::string> unpack_gathered(std::string_view buffer, const GatherLayout& layout) {
  GRAM_ASSERT(buffer.size() == layout.total, "gathered buffer differs from its layout");
  std::vector<std::string> parts;
  parts.reserve(layout.sizes.size());
  for (std::size_t rank = 0; rank < layout.sizes.size(); ++rank) {
    parts.emplace_back(buffer.substr(layout.offsets[rank], layout.sizes[rank]));
  }
  return parts;
}

void encode_size(std::uint64_t size, unsigned char out[8]) {
  for (int byte = 0; byte < 8; ++byte) out[byte] = static_cast<unsigned char>(size >> (8 * byte));
}

std::uint64_t decode_size(const unsigned char in[8]) {
  std::uint64_t size = 0;
  for (int byte = 7; byte >= 0; --byte) size = (size << 8) | in[byte];
  return size;
}

}  // namespace gram::dist
