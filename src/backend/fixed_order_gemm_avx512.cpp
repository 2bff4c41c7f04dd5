// The fixed-order GEMM's AVX-512 kernel (fixed_order_gemm.h). Only the functions of this file
// are compiled for AVX-512 (a target attribute, not a file-wide flag, so that no inline
// library code built here can be picked by the linker for a CPU without it); the dispatcher
// calls them only where CPUID reports AVX-512F.
//
// Register blocking: MR rows x NP panels of 16 columns, one zmm accumulator each, at most 24
// of the 32 registers (8 x 3, 6 x 4, 12 x 2 or 24 x 1; with the SwiGLU epilogue 6 x 4 or
// 12 x 2, two (gate, up) pairs or one); per k, NP loads of w and MR broadcasts of x feed
// MR x NP fused multiply-adds. Every accumulator lane is one output element's chain
// acc = fma(x[r][k], w[o][k], acc), k ascending, so the blocking does not change any bit.
#include <immintrin.h>

#include "backend/fixed_order_gemm_kernels.h"
#include "backend/simd_avx512.h"

namespace gram::backend::gemm_detail {
namespace {

constexpr int kLanes = 16;

GRAM_AVX512 inline __mmask16 column_mask(int valid) {
  return valid >= kLanes ? static_cast<__mmask16>(0xFFFF)
                         : static_cast<__mmask16>((1u << valid) - 1u);
}

// Rows [0, MR) x panels [0, NP) of `unit`, starting at row `row` and panel `panel`; with
// kSwiGLU the panels are NP / 2 (gate, up) pairs and the block writes silu(gate) * up.
template <int MR, int NP, bool kSwiGLU>
GRAM_AVX512 void block(const GemmUnit& unit, int row, int panel) {
  __m512 acc[MR][NP];
#pragma GCC unroll 24
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NP; ++j) acc[i][j] = _mm512_setzero_ps();
  }
  // Locals, so that the loop keeps every accumulator in a register: fields read through `unit`
  // or an accumulator indexed at run time would send them to the stack on every k.
  const std::size_t x_stride = static_cast<std::size_t>(unit.x_stride);
  const std::size_t panel_stride = unit.panel_stride;
  const int in = unit.in;
  const float* x = unit.x + row * x_stride;
  const float* w = unit.panels + panel * panel_stride;
  for (int k = 0; k < in; ++k) {
    __m512 b[NP];
#pragma GCC unroll 4
    for (int j = 0; j < NP; ++j) b[j] = _mm512_load_ps(w + j * panel_stride + k * kLanes);
#pragma GCC unroll 24
    for (int i = 0; i < MR; ++i) {
      const __m512 a = _mm512_set1_ps(x[i * x_stride + k]);
#pragma GCC unroll 4
      for (int j = 0; j < NP; ++j) acc[i][j] = _mm512_fmadd_ps(a, b[j], acc[i][j]);
    }
  }
  if constexpr (kSwiGLU) {
    // Panels (panel + 2q, panel + 2q + 1) are the gate and up halves of columns 16 (panel/2 + q).
#pragma GCC unroll 2
    for (int q = 0; q < NP / 2; ++q) {
      const int first_column = (panel / 2 + q) * kLanes;
      const __mmask16 mask = column_mask(unit.columns - first_column);
#pragma GCC unroll 12
      for (int i = 0; i < MR; ++i) {
        float* y = unit.y + static_cast<std::size_t>(row + i) * unit.y_stride + first_column;
        const __m512 value = _mm512_mul_ps(simd::silu_avx512(acc[i][2 * q]), acc[i][2 * q + 1]);
        _mm512_mask_storeu_ps(y, mask, value);
      }
    }
    return;
  }
#pragma GCC unroll 4
  for (int j = 0; j < NP; ++j) {
    const int first_column = (panel + j) * kLanes;
    const __mmask16 mask = column_mask(unit.columns - first_column);
    const __m512 bias = unit.bias != nullptr ? _mm512_maskz_loadu_ps(mask, unit.bias + first_column)
                                             : _mm512_setzero_ps();
#pragma GCC unroll 24
    for (int i = 0; i < MR; ++i) {
      float* y = unit.y + static_cast<std::size_t>(row + i) * unit.y_stride + first_column;
      const __m512 value = unit.bias != nullptr ? _mm512_add_ps(acc[i][j], bias) : acc[i][j];
      _mm512_mask_storeu_ps(y, mask, value);
    }
  }
}

// Rows [row, row + rows) of panels [panel, panel + NP): blocks of MR rows, then the rest in
// blocks of halving height (24, 12, 6, 3, 1 or 8, 4, 2, 1), so that few rows never pay for a
// full block.
template <int NP, int MR, bool kSwiGLU = false>
GRAM_AVX512 void row_blocks(const GemmUnit& unit, int row, int rows, int panel) {
  for (; rows >= MR; rows -= MR, row += MR) block<MR, NP, kSwiGLU>(unit, row, panel);
  if constexpr (MR > 1) {
    if (rows > 0) row_blocks<NP, MR / 2, kSwiGLU>(unit, row, rows, panel);
  }
}

}  // namespace

GRAM_AVX512 void gemm_unit_avx512(const GemmUnit& unit) {
  int panel = 0;
  if (unit.swiglu) {
    // 24 accumulators: 6 rows x 2 pairs, or 12 x 1 pair.
    for (; panel + 4 <= unit.panel_count; panel += 4) {
      row_blocks<4, 6, true>(unit, 0, unit.rows, panel);
    }
    if (unit.panel_count - panel == 2) row_blocks<2, 12, true>(unit, 0, unit.rows, panel);
    return;
  }
  // 24 accumulators: 8 rows x 3 panels, 6 x 4 (so that four panels, a width of 64, do not
  // leave one for the broadcast-bound 24 x 1), 12 x 2 or 24 x 1.
  for (; panel + 3 <= unit.panel_count; panel += 3) {
    if (unit.panel_count - panel == 4) {
      row_blocks<4, 6>(unit, 0, unit.rows, panel);
      return;
    }
    row_blocks<3, 8>(unit, 0, unit.rows, panel);
  }
  if (unit.panel_count - panel == 2) row_blocks<2, 12>(unit, 0, unit.rows, panel);
  if (unit.panel_count - panel == 1) row_blocks<1, 24>(unit, 0, unit.rows, panel);
}

}  // namespace gram::backend::gemm_detail
