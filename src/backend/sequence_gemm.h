#pragma once
// The mlp_t mixer's products, along the positions of one trajectory: y (M, D) = w (M, K) x (K, D)
// with x the trajectory's (P+L, D) state read in place, so that neither the state nor the
// product is ever transposed. Each element is the chain
//
//   acc = 0;  for k = 0, 1, ..., K - 1:  acc = fma(w[m][k], x[k][c], acc)
//
// which is exactly what the fixed-order GEMM (fixed_order_gemm.h) computes for the same element
// on the transposed state (a fused multiply-add rounds once, whichever factor comes first), so
// the two paths agree bit for bit. The kernels vectorise across channels c (a lane is one
// channel's chain) and tile rows of w; as for the GEMM, the AVX-512, AVX2 and portable kernels
// compute the same bits, and a trajectory's result depends on that trajectory alone.
//
// The weight is packed once into panels of kPanelRows rows stored k-major, so that a kernel
// broadcasts the panel's kPanelRows weights of one k from one cache line. kSwiGLU packs the
// [gate; up] matrix (2F rows) with gate rows 3j..3j+2 and then up rows 3j..3j+2 in panel j,
// so that the kernel writes silu(gate) * up (vector_math.h's silu) instead of the 2F rows.
#include <cstddef>
#include <memory>

#include "backend/fixed_order_gemm.h"

namespace gram::backend {

class SequenceWeight {
 public:
  static constexpr int kPanelRows = 6;
  enum class Layout { kRows, kSwiGLU };

  SequenceWeight(const float* w, int out, int in, Layout layout);
  int out() const { return out_; }
  int in() const { return in_; }
  Layout layout() const { return layout_; }
  // Rows of the result: out, or F = out / 2 after the SwiGLU epilogue.
  int result_rows() const { return layout_ == Layout::kSwiGLU ? out_ / 2 : out_; }
  int panels() const { return panels_; }
  // (in, kPanelRows) floats of panel `panel`.
  const float* panel(int panel) const {
    return data_.get() + static_cast<std::size_t>(panel) * in_ * kPanelRows;
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

// y (result rows, width) = w x on the calling thread; x (in, width) and y rows are `x_stride`
// and `y_stride` floats apart.
void sequence_gemm(GemmKernel kernel, const SequenceWeight& w, const float* x, int x_stride,
                   int width, float* y, int y_stride);

namespace sequence_detail {

// One product for the kernels: every panel of w times every channel of x.
struct SequenceProduct {
  const float* panels = nullptr;  // panel 0: (in, kPanelRows)
  int panel_count = 0;
  int in = 0;
  int result_rows = 0;             // rows of y (the SwiGLU epilogue writes 3 per panel)
  const float* x = nullptr;        // (in, width), rows x_stride apart
  int x_stride = 0;
  int width = 0;
  float* y = nullptr;              // (result_rows, width), rows y_stride apart
  int y_stride = 0;
  bool swiglu = false;
};

void sequence_product_portable(const SequenceProduct& product);
void sequence_product_avx2(const SequenceProduct& product);
void sequence_product_avx512(const SequenceProduct& product);

}  // namespace sequence_detail

}  // namespace gram::backend
