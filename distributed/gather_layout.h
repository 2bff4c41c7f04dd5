#pragma once
// How the NCCL communicator gathers byte strings of different lengths to rank 0. NCCL has no
// gatherv: the ranks first all-gather their lengths (one little-endian uint64 each), then rank
// 0 receives rank r's bytes at offset[r] of one device buffer (point-to-point receives in one
// group) and cuts that buffer back into one string per rank. Host code only, so that the
// layout is tested without a GPU.
//
//   (total)  | rank 0's bytes | rank 1's bytes | ... |     offsets[r] = sum of sizes[0..r)
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gram::dist {

struct GatherLayout {
  std::vector<std::uint64_t> sizes;    // (ranks) bytes each rank sends
  std::vector<std::uint64_t> offsets;  // (ranks) where each rank's bytes start
  std::uint64_t total = 0;
};

GatherLayout gather_layout(std::span<const std::uint64_t> sizes);

// The buffer of one gather, cut into one string per rank in rank order.
std::vector<std::string> unpack_gathered(std::string_view buffer, const GatherLayout& layout);

// One length as the 8 bytes each rank contributes to the all-gather of lengths, and back: a
// fixed byte order, so the layout does not depend on the hosts.
void encode_size(std::uint64_t size, unsigned char out[8]);
std::uint64_t decode_size(const unsigned char in[8]);

}  // namespace gram::dist
