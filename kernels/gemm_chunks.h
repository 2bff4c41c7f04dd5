#pragma once
// How the CUDA backend's linear() splits its rows over cuBLAS calls. Host code only, so that
// tests/kernels checks it on a machine without a GPU.
//
// cublasGemmEx takes 32-bit sizes and leading dimensions, and an operand of more than 2^31 - 1
// elements is outside what its 32-bit interface promises: at a row cap of 4096 trajectories of
// 97 positions, a D = 1024 model's SwiGLU input (397,312 rows x 6,144) already holds 2.4e9. So
// rows are taken in chunks whose x (rows x x_stride) and y (rows x out) each stay within that
// limit; the bf16 path bounds its activation scratch the same way. Every row is still one
// row of one product: chunks change which call computes a row, never how.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "util/error.h"

namespace gram::kernels {

// The most elements one operand of one cublasGemmEx call may hold.
constexpr std::int64_t kGemmElementLimit = std::numeric_limits<std::int32_t>::max();

struct RowChunk {
  std::int64_t first = 0;  // first row of the chunk
  int rows = 0;
};

// The most rows per call with `row_elements` elements per row in the widest operand and at
// most `limit` elements per operand. Throws when even one row is too wide.
inline int gemm_rows_per_call(std::int64_t row_elements, std::int64_t limit = kGemmElementLimit) {
  GRAM_ASSERT(row_elements > 0 && limit > 0, "gemm chunk sizes");
  if (row_elements > limit) {
    throw Error("cuda backend: one row of " + std::to_string(row_elements) +
                " elements exceeds the " + std::to_string(limit) +
                " elements of one cuBLAS operand");
  }
  return static_cast<int>(std::min<std::int64_t>(limit / row_elements,
                                                 std::numeric_limits<int>::max()));
}

// [0, rows) in consecutive chunks of at most `rows_per_call` rows.
inline std::vector<RowChunk> gemm_row_chunks(std::int64_t rows, int rows_per_call) {
  GRAM_ASSERT(rows >= 0 && rows_per_call > 0, "gemm chunk sizes");
  std::vector<RowChunk> chunks;
  for (std::int64_t first = 0; first < rows; first += rows_per_call) {
    chunks.push_back({first, static_cast<int>(std::min<std::int64_t>(rows_per_call, rows - first))});
  }
  return chunks;
}

}  // namespace gram::kernels
