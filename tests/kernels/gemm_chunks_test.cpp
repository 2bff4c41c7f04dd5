// How the CUDA backend's linear() splits rows over cuBLAS calls (kernels/gemm_chunks.h): every
// operand of every call within 2^31 - 1 elements, every row in exactly one chunk, in order.
#include <gtest/gtest.h>

#include <cstdint>

#include "common/error_message.h"
#include "gemm_chunks.h"

namespace gram {
namespace {

TEST(GemmChunks, SmallProductsAreOneCall) {
  const int per_call = kernels::gemm_rows_per_call(1536);
  const auto chunks = kernels::gemm_row_chunks(4096 * 97, per_call);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].first, 0);
  EXPECT_EQ(chunks[0].rows, 4096 * 97);
  EXPECT_TRUE(kernels::gemm_row_chunks(0, per_call).empty());
}

// A D = 1024 model's SwiGLU input at 4096 trajectories of 97 positions: 397,312 rows of 6,144
// outputs, 2.44e9 elements, split so that no call passes 2^31 - 1.
TEST(GemmChunks, LargeOutputsAreSplitWithinTheLimit) {
  const std::int64_t rows = 4096 * 97;
  const int widest = 6144;
  const int per_call = kernels::gemm_rows_per_call(widest);
  EXPECT_EQ(per_call, 349525);  // floor((2^31 - 1) / 6144)
  const auto chunks = kernels::gemm_row_chunks(rows, per_call);
  ASSERT_EQ(chunks.size(), 2u);
  std::int64_t next = 0;
  for (const auto& chunk : chunks) {
    EXPECT_EQ(chunk.first, next);
    EXPECT_GT(chunk.rows, 0);
    EXPECT_LE(static_cast<std::int64_t>(chunk.rows) * widest, kernels::kGemmElementLimit);
    next += chunk.rows;
  }
  EXPECT_EQ(next, rows);
}

// The bf16 path's scratch bound uses the same split with a smaller limit.
TEST(GemmChunks, SmallerLimitsGiveMoreChunks) {
  const int per_call = kernels::gemm_rows_per_call(1000, 4500);
  EXPECT_EQ(per_call, 4);
  const auto chunks = kernels::gemm_row_chunks(10, per_call);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[2].first, 8);
  EXPECT_EQ(chunks[2].rows, 2);
  EXPECT_EQ(testing_support::error_message([] { kernels::gemm_rows_per_call(5000, 4500); }),
            "cuda backend: one row of 5000 elements exceeds the 4500 elements of one cuBLAS "
            "operand");
}

}  // namespace
}  // namespace gram
