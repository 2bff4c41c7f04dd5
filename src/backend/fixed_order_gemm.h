#pragma once
// The CPU backend's matrix product, y (rows, out) = x (rows, in) w^T + bias, with every output
// element summed in one fixed order:
//
//   acc = 0;  for k = 0, 1, ..., in - 1:  acc = fma(x[r][k], w[o][k], acc);  y[r][o] = acc + bias[o]
//
// Nothing in that order depends on which other rows share the call, where row r sits in the
// batch, how the rows are split over threads, the SIMD width or the CPU: the kernels vectorise
// across output columns (each lane is one element's own chain) and tile rows only to reuse
// loads. So a row's result is a function of that row alone, bit for bit, on every machine with
// IEEE fp32 and a fused multiply-add, and the AVX-512, AVX2 and portable kernels agree exactly.
// That is the engine's batch-invariance guarantee (docs/architecture.md): an optimised BLAS
// cannot give it, since its micro-kernels sum a row differently depending on the row's place
// inside their register tile (OpenBLAS's Haswell and Zen SGEMM kernels do; measured in
// tests/backend/fixed_order_gemm_test.cpp).
//
// The weight is packed once, at model load, into panels of kPanelWidth output columns stored
// k-major, so that the kernels read one aligned vector of w per k and per panel.
#include <cstddef>
#include <memory>
#include <string>

#include "backend/thread_pool.h"

namespace gram::backend {

// The instruction sets the product has kernels for; all compute the same bits.
enum class GemmKernel { kPortable, kAvx2, kAvx512 };
std::string to_string(GemmKernel kernel);
// "portable", "avx2" or "avx512"; a gram::Error naming the choices otherwise.
GemmKernel parse_gemm_kernel(const std::string& text);
// Whether this CPU can run `kernel` (CPUID).
bool cpu_supports(GemmKernel kernel);
// The fastest kernel this CPU runs.
GemmKernel best_gemm_kernel();

// w (out, in) as torch.nn.Linear stores it, repacked as panels of kPanelWidth columns:
// panel p holds w[p * kPanelWidth + j][k] at [k][j], columns past `out` are zero.
//
// kSwiGLU lays out the [gate; up] matrix of a SwiGLU (out = 2F rows: the gate rows, then the
// up rows) as pairs of panels, gate columns 16j.. then up columns 16j.., so that a kernel holds
// both halves of an output column in registers and writes silu(gate) * up (the epilogue below)
// instead of the (rows, 2F) product.
class PackedWeight {
 public:
  static constexpr int kPanelWidth = 16;
  enum class Layout { kColumns, kSwiGLU };

  PackedWeight(const float* w, int out, int in, Layout layout = Layout::kColumns);
  int out() const { return out_; }
  int in() const { return in_; }
  Layout layout() const { return layout_; }
  // Columns of a product's result: out, or F = out / 2 after the SwiGLU epilogue.
  int result_columns() const { return layout_ == Layout::kSwiGLU ? out_ / 2 : out_; }
  int panels() const { return panels_; }
  // (in, kPanelWidth) floats of panel `panel`, 64-byte aligned.
  const float* panel(int panel) const {
    return data_.get() + static_cast<std::size_t>(panel) * in_ * kPanelWidth;
  }

 private:
  struct Free {
    void operator()(float* pointer) const;
  };
  int out_;
  int in_;
  Layout layout_;
  int panels_;
  std::unique_ptr<float[], Free> data_;
};

// y (rows, result columns) = x (rows, in) w^T (+ bias when not null), in the fixed order above,
// on the threads of `pool`. x rows are `x_stride` floats apart (>= in); y is dense. With a
// kSwiGLU weight, y (rows, F) = silu(x w_gate^T) * (x w_up^T) on the same fp32 products the
// unfused pair of operations computes, with the same silu (vector_math.h): the same bits.
void fixed_order_gemm(GemmKernel kernel, ThreadPool& pool, int rows, const float* x,
                      int x_stride, const PackedWeight& w, const float* bias, float* y);

// The same product for a few rows on the calling thread, y rows `y_stride` apart: what a fused
// block (cpu_blocks.cpp) runs inside one task of its own.
void fixed_order_gemm_rows(GemmKernel kernel, int rows, const float* x, int x_stride,
                           const PackedWeight& w, const float* bias, float* y, int y_stride);

}  // namespace gram::backend
