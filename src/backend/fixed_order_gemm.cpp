#include "backend/fixed_order_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "backend/fixed_order_gemm_kernels.h"
#include "backend/vector_math.h"
#include "util/error.h"

namespace gram::backend {

std::string to_string(GemmKernel kernel) {
  switch (kernel) {
    case GemmKernel::kPortable: return "portable";
    case GemmKernel::kAvx2: return "avx2";
    case GemmKernel::kAvx512: return "avx512";
  }
  return "unknown";
}

GemmKernel parse_gemm_kernel(const std::string& text) {
  for (GemmKernel kernel : {GemmKernel::kPortable, GemmKernel::kAvx2, GemmKernel::kAvx512}) {
    if (text == to_string(kernel)) return kernel;
  }
  throw Error("GRAM_CPU_GEMM '" + text + "': unknown (expected portable, avx2 or avx512)");
}

bool cpu_supports(GemmKernel kernel) {
#if defined(__x86_64__) || defined(__i386__)
  switch (kernel) {
    case GemmKernel::kPortable: return true;
    case GemmKernel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case GemmKernel::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  }
  return false;
#else
  return kernel == GemmKernel::kPortable;
#endif
}

GemmKernel best_gemm_kernel() {
  if (cpu_supports(GemmKernel::kAvx512)) return GemmKernel::kAvx512;
  if (cpu_supports(GemmKernel::kAvx2)) return GemmKernel::kAvx2;
  return GemmKernel::kPortable;
}

void PackedWeight::Free::operator()(float* pointer) const { std::free(pointer); }

PackedWeight::PackedWeight(const float* w, int out, int in, Layout layout)
    : out_(out), in_(in), layout_(layout) {
  GRAM_ASSERT(out > 0 && in > 0, "packed weight shape");
  const bool swiglu = layout == Layout::kSwiGLU;
  GRAM_ASSERT(!swiglu || out % 2 == 0, "a SwiGLU weight has 2F rows");
  const int half = swiglu ? out / 2 : out;  // columns per half: F, or all of them
  const int blocks = (half + kPanelWidth - 1) / kPanelWidth;
  panels_ = swiglu ? 2 * blocks : blocks;
  const std::size_t floats = static_cast<std::size_t>(panels_) * in * kPanelWidth;
  data_.reset(static_cast<float*>(std::aligned_alloc(64, floats * sizeof(float))));
  if (data_ == nullptr) {
    throw Error("cpu backend: out of memory packing a " + std::to_string(out) + " x " +
                std::to_string(in) + " weight");
  }
  float* packed = data_.get();  // (panels, in, kPanelWidth)
  std::memset(packed, 0, floats * sizeof(float));
  for (int column = 0; column < out; ++column) {
    // Column c of a half is lane c % 16 of block c / 16; with SwiGLU, block j is the panel
    // pair (2j, 2j + 1), the gate half first.
    const int within = column % half;
    const int block = within / kPanelWidth;
    const int panel_index = swiglu ? 2 * block + column / half : block;
    float* panel = packed + static_cast<std::size_t>(panel_index) * in * kPanelWidth;
    for (int k = 0; k < in; ++k) {
      panel[static_cast<std::size_t>(k) * kPanelWidth + within % kPanelWidth] =
          w[static_cast<std::size_t>(column) * in + k];
    }
  }
}

namespace gemm_detail {

// The reference kernel: plain loops over the same chains, std::fma rounding once per step as
// the vector instructions do. Fast enough for CPUs without AVX2 (the compiler vectorises the
// column loop, which keeps each element's order), and the definition the others must match.
void gemm_unit_portable(const GemmUnit& unit) {
  constexpr int kLanes = PackedWeight::kPanelWidth;
  const int step = unit.swiglu ? 2 : 1;  // panels per kLanes columns of y
  for (int panel = 0; panel < unit.panel_count; panel += step) {
    const float* w = unit.panels + static_cast<std::size_t>(panel) * unit.panel_stride;
    const int first_column = panel / step * kLanes;
    const int valid = std::min(kLanes, unit.columns - first_column);
    for (int row = 0; row < unit.rows; ++row) {
      const float* x = unit.x + static_cast<std::size_t>(row) * unit.x_stride;
      float acc[2][kLanes] = {};
      for (int half = 0; half < step; ++half) {
        const float* w_half = w + static_cast<std::size_t>(half) * unit.panel_stride;
        for (int k = 0; k < unit.in; ++k) {
          for (int lane = 0; lane < kLanes; ++lane) {
            acc[half][lane] = std::fma(x[k], w_half[static_cast<std::size_t>(k) * kLanes + lane],
                                       acc[half][lane]);
          }
        }
      }
      float* y = unit.y + static_cast<std::size_t>(row) * unit.y_stride + first_column;
      for (int lane = 0; lane < valid; ++lane) {
        if (unit.swiglu) {
          y[lane] = fast_silu(acc[0][lane]) * acc[1][lane];
        } else {
          y[lane] = unit.bias != nullptr ? acc[0][lane] + unit.bias[first_column + lane]
                                         : acc[0][lane];
        }
      }
    }
  }
}

}  // namespace gemm_detail

namespace {

using gemm_detail::GemmUnit;

using UnitKernel = void (*)(const GemmUnit&);

UnitKernel unit_kernel(GemmKernel kernel) {
  GRAM_ASSERT(cpu_supports(kernel), "GEMM kernel not supported by this CPU");
  switch (kernel) {
    case GemmKernel::kPortable: return gemm_detail::gemm_unit_portable;
    case GemmKernel::kAvx2: return gemm_detail::gemm_unit_avx2;
    case GemmKernel::kAvx512: return gemm_detail::gemm_unit_avx512;
  }
  return gemm_detail::gemm_unit_portable;
}

// Units of work: blocks of kUnitRows rows times runs of kUnitPanels panels. Large enough that a
// unit's weight panels are reused over many rows from L1/L2, small enough that a product of a
// few dozen rows still splits over two threads. Even, so that no unit splits a SwiGLU pair.
constexpr int kUnitRows = 48;
constexpr int kUnitPanels = 6;

// The unit of rows [first_row, first_row + rows) and panels [first_panel, + panel_count).
GemmUnit make_unit(const PackedWeight& w, const float* x, int x_stride, const float* bias,
                   float* y, int y_stride, int first_row, int rows, int first_panel,
                   int panel_count) {
  const int panels_per_block = w.layout() == PackedWeight::Layout::kSwiGLU ? 2 : 1;
  const int first_column = first_panel / panels_per_block * PackedWeight::kPanelWidth;
  GemmUnit unit;
  unit.rows = rows;
  unit.x = x + static_cast<std::size_t>(first_row) * x_stride;
  unit.x_stride = x_stride;
  unit.in = w.in();
  unit.panels = w.panel(first_panel);
  unit.panel_stride = static_cast<std::size_t>(w.in()) * PackedWeight::kPanelWidth;
  unit.panel_count = panel_count;
  unit.columns = std::min(w.result_columns() - first_column,
                          panel_count / panels_per_block * PackedWeight::kPanelWidth);
  unit.bias = bias != nullptr ? bias + first_column : nullptr;
  unit.y = y + static_cast<std::size_t>(first_row) * y_stride + first_column;
  unit.y_stride = y_stride;
  unit.swiglu = w.layout() == PackedWeight::Layout::kSwiGLU;
  return unit;
}

void check_shapes(int rows, int x_stride, const PackedWeight& w, const float* bias) {
  GRAM_ASSERT(rows >= 0 && x_stride >= w.in(), "fixed-order GEMM shapes");
  GRAM_ASSERT(bias == nullptr || w.layout() == PackedWeight::Layout::kColumns,
              "the SwiGLU epilogue takes no bias");
}

}  // namespace

void fixed_order_gemm(GemmKernel kernel, ThreadPool& pool, int rows, const float* x,
                      int x_stride, const PackedWeight& w, const float* bias, float* y) {
  check_shapes(rows, x_stride, w, bias);
  if (rows == 0) return;
  const UnitKernel run = unit_kernel(kernel);
  const int row_blocks = (rows + kUnitRows - 1) / kUnitRows;
  const int panel_runs = (w.panels() + kUnitPanels - 1) / kUnitPanels;
  pool.run(row_blocks * panel_runs, [&](int index, int /*thread*/) {
    // Panel runs vary fastest, so consecutive units of a thread share their rows of x.
    const int row_block = index / panel_runs;
    const int first_panel = index % panel_runs * kUnitPanels;
    run(make_unit(w, x, x_stride, bias, y, w.result_columns(), row_block * kUnitRows,
                  std::min(kUnitRows, rows - row_block * kUnitRows), first_panel,
                  std::min(kUnitPanels, w.panels() - first_panel)));
  });
}

void fixed_order_gemm_rows(GemmKernel kernel, int rows, const float* x, int x_stride,
                           const PackedWeight& w, const float* bias, float* y, int y_stride) {
  check_shapes(rows, x_stride, w, bias);
  if (rows == 0) return;
  unit_kernel(kernel)(make_unit(w, x, x_stride, bias, y, y_stride, 0, rows, 0, w.panels()));
}

}  // namespace gram::backend
