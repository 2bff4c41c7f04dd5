// The fixed-order GEMM's AVX2 kernel (fixed_order_gemm.h), for CPUs without AVX-512 (or when
// chosen with GRAM_CPU_GEMM=avx2). As in the AVX-512 file, only these functions are compiled
// for the instruction set (a target attribute), and the dispatcher checks CPUID first.
//
// Register blocking: MR = 6 rows x one panel of 16 columns (two ymm each): 12 accumulators,
// two loads of w and one broadcast of x per k, of the 16 registers. Each accumulator lane is
// one output element's chain acc = fma(x[r][k], w[o][k], acc), k ascending: the same bits as
// the AVX-512 and portable kernels.
#include <immintrin.h>

#include <cstring>

#include "backend/fixed_order_gemm_kernels.h"

#define GRAM_AVX2 __attribute__((target("avx2,fma")))

namespace gram::backend::gemm_detail {
namespace {

constexpr int kPanel = 16;

// Rows [row, row + MR) of panel `panel`.
template <int MR>
GRAM_AVX2 void block(const GemmUnit& unit, int row, int panel) {
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  // Locals, so that the loop keeps every accumulator in a register: fields read through `unit`
  // or an accumulator indexed at run time would send them to the stack on every k.
  const std::size_t x_stride = static_cast<std::size_t>(unit.x_stride);
  const int in = unit.in;
  const float* x = unit.x + row * x_stride;
  const float* w = unit.panels + static_cast<std::size_t>(panel) * unit.panel_stride;
  for (int k = 0; k < in; ++k) {
    const __m256 b0 = _mm256_load_ps(w + k * kPanel);
    const __m256 b1 = _mm256_load_ps(w + k * kPanel + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 a = _mm256_broadcast_ss(x + i * x_stride + k);
      acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
    }
  }
  const int first_column = panel * kPanel;
  const int valid = unit.columns - first_column < kPanel ? unit.columns - first_column : kPanel;
  alignas(32) float bias[kPanel] = {};
  if (unit.bias != nullptr) std::memcpy(bias, unit.bias + first_column, sizeof(float) * valid);
  const __m256 bias0 = _mm256_load_ps(bias);
  const __m256 bias1 = _mm256_load_ps(bias + 8);
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    float* y = unit.y + static_cast<std::size_t>(row + i) * unit.y_stride + first_column;
    alignas(32) float values[kPanel];
    _mm256_store_ps(values, unit.bias != nullptr ? _mm256_add_ps(acc[i][0], bias0) : acc[i][0]);
    _mm256_store_ps(values + 8, unit.bias != nullptr ? _mm256_add_ps(acc[i][1], bias1) : acc[i][1]);
    std::memcpy(y, values, sizeof(float) * valid);
  }
}

// Blocks of MR rows, then the rest in blocks of halving height (6, 3, 1).
template <int MR>
GRAM_AVX2 void row_blocks(const GemmUnit& unit, int row, int rows, int panel) {
  for (; rows >= MR; rows -= MR, row += MR) block<MR>(unit, row, panel);
  if constexpr (MR > 1) {
    if (rows > 0) row_blocks<MR / 2>(unit, row, rows, panel);
  }
}

}  // namespace

GRAM_AVX2 void gemm_unit_avx2(const GemmUnit& unit) {
  for (int panel = 0; panel < unit.panel_count; ++panel) row_blocks<6>(unit, 0, unit.rows, panel);
}

}  // namespace gram::backend::gemm_detail
