// The fixed-order GEMM's AVX2 kernel (fixed_order_gemm.h), for CPUs without AVX-512 (or when
// chosen with GRAM_CPU_GEMM=avx2). As in the AVX-512 file, only these functions are compiled
// for the instruction set (a target attribute), and the dispatcher checks CPUID first.
//
// Register blocking: MR = 6 rows x one panel of 16 columns (two ymm each): 12 accumulators,
// two loads of w and one broadcast of x per k, of the 16 registers; with the SwiGLU epilogue
// MR = 3 rows x one (gate, up) pair of panels, again 12. Each accumulator lane is one output
// element's chain acc = fma(x[r][k], w[o][k], acc), k ascending: the same bits as the AVX-512
// and portable kernels.
#include <immintrin.h>

#include <cstring>

#include "backend/fixed_order_gemm_kernels.h"
#include "backend/simd_avx2.h"

namespace gram::backend::gemm_detail {
namespace {

constexpr int kPanel = 16;

// Rows [row, row + MR) of panel `panel`: 16 columns of y, or with kSwiGLU the pair of panels
// (panel, panel + 1) and the 16 columns silu(gate) * up.
template <int MR, bool kSwiGLU>
GRAM_AVX2 void block(const GemmUnit& unit, int row, int panel) {
  constexpr int kVectors = kSwiGLU ? 4 : 2;  // ymm per row: (gate, up) x 2 halves, or 2 halves
  __m256 acc[MR][kVectors];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v) acc[i][v] = _mm256_setzero_ps();
  }
  // Locals, so that the loop keeps every accumulator in a register: fields read through `unit`
  // or an accumulator indexed at run time would send them to the stack on every k.
  const std::size_t x_stride = static_cast<std::size_t>(unit.x_stride);
  const std::size_t panel_stride = unit.panel_stride;
  const int in = unit.in;
  const float* x = unit.x + row * x_stride;
  const float* w = unit.panels + static_cast<std::size_t>(panel) * panel_stride;
  for (int k = 0; k < in; ++k) {
    __m256 b[kVectors];
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v) {
      b[v] = _mm256_load_ps(w + (v / 2) * panel_stride + k * kPanel + (v % 2) * 8);
    }
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 a = _mm256_broadcast_ss(x + i * x_stride + k);
#pragma GCC unroll 4
      for (int v = 0; v < kVectors; ++v) acc[i][v] = _mm256_fmadd_ps(a, b[v], acc[i][v]);
    }
  }
  const int first_column = (kSwiGLU ? panel / 2 : panel) * kPanel;
  const int valid = unit.columns - first_column < kPanel ? unit.columns - first_column : kPanel;
  alignas(32) float bias[kPanel] = {};
  if (unit.bias != nullptr) std::memcpy(bias, unit.bias + first_column, sizeof(float) * valid);
  const __m256 bias0 = _mm256_load_ps(bias);
  const __m256 bias1 = _mm256_load_ps(bias + 8);
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    float* y = unit.y + static_cast<std::size_t>(row + i) * unit.y_stride + first_column;
    alignas(32) float values[kPanel];
    if constexpr (kSwiGLU) {
      _mm256_store_ps(values, _mm256_mul_ps(simd::silu_avx2(acc[i][0]), acc[i][2]));
      _mm256_store_ps(values + 8, _mm256_mul_ps(simd::silu_avx2(acc[i][1]), acc[i][3]));
    } else {
      _mm256_store_ps(values, unit.bias != nullptr ? _mm256_add_ps(acc[i][0], bias0) : acc[i][0]);
      _mm256_store_ps(values + 8,
                      unit.bias != nullptr ? _mm256_add_ps(acc[i][1], bias1) : acc[i][1]);
    }
    std::memcpy(y, values, sizeof(float) * valid);
  }
}

// Blocks of MR rows, then the rest in blocks of halving height (6, 3, 1).
template <int MR, bool kSwiGLU>
GRAM_AVX2 void row_blocks(const GemmUnit& unit, int row, int rows, int panel) {
  for (; rows >= MR; rows -= MR, row += MR) block<MR, kSwiGLU>(unit, row, panel);
  if constexpr (MR > 1) {
    if (rows > 0) row_blocks<MR / 2, kSwiGLU>(unit, row, rows, panel);
  }
}

}  // namespace

GRAM_AVX2 void gemm_unit_avx2(const GemmUnit& unit) {
  if (unit.swiglu) {
    for (int panel = 0; panel < unit.panel_count; panel += 2) {
      row_blocks<3, true>(unit, 0, unit.rows, panel);
    }
    return;
  }
  for (int panel = 0; panel < unit.panel_count; ++panel) {
    row_blocks<6, false>(unit, 0, unit.rows, panel);
  }
}

}  // namespace gram::backend::gemm_detail
