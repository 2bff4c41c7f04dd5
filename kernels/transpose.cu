#include "transpose.h"

#include <algorithm>
#include <cstddef>

#include "cuda_check.h"
#include "util/error.h"

namespace gram::kernels {
namespace {

constexpr int kTile = 32;
constexpr int kRowsPerPass = 8;  // a 32 x 8 block moves a 32 x 32 tile in four passes

// Shared-memory tile so that both the global reads and the global writes are coalesced; the
// +1 column keeps the column-wise reads of the tile free of bank conflicts.
__global__ void transpose_kernel(int batch, int rows, int cols, const float* in, float* out) {
  __shared__ float tile[kTile][kTile + 1];
  const std::size_t plane = static_cast<std::size_t>(rows) * cols;
  for (int item = blockIdx.z; item < batch; item += gridDim.z) {
    const float* source = in + item * plane;  // (rows, cols)
    float* target = out + item * plane;       // (cols, rows)
    const int col = blockIdx.x * kTile + threadIdx.x;
    for (int pass = 0; pass < kTile; pass += kRowsPerPass) {
      const int row = blockIdx.y * kTile + threadIdx.y + pass;
      if (row < rows && col < cols) {
        tile[threadIdx.y + pass][threadIdx.x] = source[static_cast<std::size_t>(row) * cols + col];
      }
    }
    __syncthreads();
    const int out_col = blockIdx.y * kTile + threadIdx.x;  // a row of the input
    for (int pass = 0; pass < kTile; pass += kRowsPerPass) {
      const int out_row = blockIdx.x * kTile + threadIdx.y + pass;  // a column of the input
      if (out_row < cols && out_col < rows) {
        target[static_cast<std::size_t>(out_row) * rows + out_col] =
            tile[threadIdx.x][threadIdx.y + pass];
      }
    }
    __syncthreads();
  }
}

}  // namespace

void launch_transpose(int batch, int rows, int cols, const float* in, float* out,
                      cudaStream_t stream) {
  GRAM_ASSERT(batch >= 0 && rows > 0 && cols > 0, "transpose shapes");
  if (batch == 0) return;
  GRAM_ASSERT(in != nullptr && out != nullptr && in != out, "transpose: operands");
  const dim3 grid((cols + kTile - 1) / kTile, (rows + kTile - 1) / kTile,
                  std::min(batch, 65535));
  GRAM_ASSERT(grid.y <= 65535u, "transpose: too many rows per item");
  transpose_kernel<<<grid, dim3(kTile, kRowsPerPass), 0, stream>>>(batch, rows, cols, in, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gram::kernels
