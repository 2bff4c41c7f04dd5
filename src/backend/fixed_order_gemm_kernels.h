#pragma once
// Internal to the fixed-order GEMM (fixed_order_gemm.h): one unit of work and the kernel of each
// instruction set that computes it. A unit is a block of rows times a run of weight panels;
// fixed_order_gemm.cpp cuts the product into units and spreads them over threads, and each
// kernel tiles its unit into register blocks its own way. The tiling changes which loads are
// shared, never an element's order of additions.
#include <cstddef>

namespace gram::backend::gemm_detail {

struct GemmUnit {
  int rows = 0;                    // rows of x and y in this unit
  const float* x = nullptr;        // (rows, in), rows x_stride apart
  int x_stride = 0;
  int in = 0;
  const float* panels = nullptr;   // first panel of the unit: (in, 16) floats, 64-byte aligned
  std::size_t panel_stride = 0;    // floats from one panel to the next (in * 16)
  int panel_count = 0;             // even with swiglu: (gate, up) pairs
  int columns = 0;                 // valid columns of y in the unit (<= panel_count * 16, or
                                   // panel_count / 2 * 16 with swiglu)
  const float* bias = nullptr;     // (columns) or null; always null with swiglu
  float* y = nullptr;              // (rows, columns) of y, rows y_stride apart
  int y_stride = 0;
  // Epilogue: y = silu(gate) * up over the panel pairs (PackedWeight::Layout::kSwiGLU).
  bool swiglu = false;
};

void gemm_unit_portable(const GemmUnit& unit);
void gemm_unit_avx2(const GemmUnit& unit);
void gemm_unit_avx512(const GemmUnit& unit);

}  // namespace gram::backend::gemm_detail
