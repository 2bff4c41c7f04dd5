#include "backend/fixed_order_gemm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "backend/fixed_order_gemm_kernels.h"
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

PackedWeight::PackedWeight(const float* w, int out, int in)
    : out_(out), in_(in), panels_((out + kPanelWidth - 1) / kPanelWidth) {
  GRAM_ASSERT(out > 0 && in > 0, "packed weight shape");
  const std::size_t floats = static_cast<std::size_t>(panels_) * in * kPanelWidth;
  data_.reset(static_cast<float*>(std::aligned_alloc(64, floats * sizeof(float))));
  if (data_ == nullptr) {
    throw Error("cpu backend: out of memory packing a " + std::to_string(out) + " x " +
                std::to_string(in) + " weight");
  }
  float* packed = data_.get();  // (panels, in, kPanelWidth)
  std::memset(packed, 0, floats * sizeof(float));
  for (int column = 0; column < out; ++column) {
    float* panel = packed + static_cast<std::size_t>(column / kPanelWidth) * in * kPanelWidth;
    const int lane = column % kPanelWidth;
    for (int k = 0; k < in; ++k) {
      panel[static_cast<std::size_t>(k) * kPanelWidth + lane] =
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
  for (int panel = 0; panel < unit.panel_count; ++panel) {
    const float* w = unit.panels + static_cast<std::size_t>(panel) * unit.panel_stride;
    const int first_column = panel * kLanes;
    const int valid = std::min(kLanes, unit.columns - first_column);
    for (int row = 0; row < unit.rows; ++row) {
      const float* x = unit.x + static_cast<std::size_t>(row) * unit.x_stride;
      float acc[kLanes] = {};
      for (int k = 0; k < unit.in; ++k) {
        for (int lane = 0; lane < kLanes; ++lane) {
          acc[lane] = std::fma(x[k], w[static_cast<std::size_t>(k) * kLanes + lane], acc[lane]);
        }
      }
      float* y = unit.y + static_cast<std::size_t>(row) * unit.y_stride + first_column;
      for (int lane = 0; lane < valid; ++lane) {
        y[lane] = unit.bias != nullptr ? acc[lane] + unit.bias[first_column + lane] : acc[lane];
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
// few dozen rows still splits over two threads.
constexpr int kUnitRows = 48;
constexpr int kUnitPanels = 6;

}  // namespace

void fixed_order_gemm(GemmKernel kernel, int threads, int rows, const float* x, int x_stride,
                      const PackedWeight& w, const float* bias, float* y) {
  GRAM_ASSERT(rows >= 0 && x_stride >= w.in(), "fixed-order GEMM shapes");
  if (rows == 0) return;
  const UnitKernel run = unit_kernel(kernel);
  const int row_blocks = (rows + kUnitRows - 1) / kUnitRows;
  const int panel_runs = (w.panels() + kUnitPanels - 1) / kUnitPanels;
  const int units = row_blocks * panel_runs;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (units > 1 && threads > 1)
  for (int index = 0; index < units; ++index) {
    // Panel runs vary fastest, so consecutive units of a thread share their rows of x.
    const int row_block = index / panel_runs;
    const int panel_run = index % panel_runs;
    GemmUnit unit;
    unit.rows = std::min(kUnitRows, rows - row_block * kUnitRows);
    unit.x = x + static_cast<std::size_t>(row_block) * kUnitRows * x_stride;
    unit.x_stride = x_stride;
    unit.in = w.in();
    unit.panels = w.panel(panel_run * kUnitPanels);
    unit.panel_stride = static_cast<std::size_t>(w.in()) * PackedWeight::kPanelWidth;
    unit.panel_count = std::min(kUnitPanels, w.panels() - panel_run * kUnitPanels);
    const int first_column = panel_run * kUnitPanels * PackedWeight::kPanelWidth;
    unit.columns = std::min(w.out() - first_column, unit.panel_count * PackedWeight::kPanelWidth);
    unit.bias = bias != nullptr ? bias + first_column : nullptr;
    unit.y = y + static_cast<std::size_t>(row_block) * kUnitRows * w.out() + first_column;
    unit.y_stride = w.out();
    run(unit);
  }
}

}  // namespace gram::backend
