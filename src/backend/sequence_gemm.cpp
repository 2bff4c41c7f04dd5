#include "backend/sequence_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "backend/vector_math.h"
#include "util/error.h"

namespace gram::backend {

void SequenceWeight::Free::operator()(float* pointer) const { std::free(pointer); }

SequenceWeight::SequenceWeight(const float* w, int out, int in, Layout layout)
    : out_(out), in_(in), layout_(layout) {
  GRAM_ASSERT(out > 0 && in > 0, "sequence weight shape");
  const bool swiglu = layout == Layout::kSwiGLU;
  GRAM_ASSERT(!swiglu || out % 2 == 0, "a SwiGLU weight has 2F rows");
  constexpr int kHalf = kPanelRows / 2;
  panels_ = swiglu ? (out / 2 + kHalf - 1) / kHalf : (out + kPanelRows - 1) / kPanelRows;
  const std::size_t floats = static_cast<std::size_t>(panels_) * in * kPanelRows;
  const std::size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
  data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  if (data_ == nullptr) {
    throw Error("cpu backend: out of memory packing a " + std::to_string(out) + " x " +
                std::to_string(in) + " weight");
  }
  std::memset(data_.get(), 0, floats * sizeof(float));
  for (int panel = 0; panel < panels_; ++panel) {
    for (int slot = 0; slot < kPanelRows; ++slot) {
      // The row of w in this slot, or none past the end (left zero).
      int row = panel * kPanelRows + slot;
      if (swiglu) {
        const int within = panel * kHalf + slot % kHalf;
        row = within < out / 2 ? within + (slot < kHalf ? 0 : out / 2) : out;
      }
      if (row >= out) continue;
      float* packed = data_.get() + static_cast<std::size_t>(panel) * in * kPanelRows + slot;
      for (int k = 0; k < in; ++k) {
        packed[static_cast<std::size_t>(k) * kPanelRows] =
            w[static_cast<std::size_t>(row) * in + k];
      }
    }
  }
}

namespace sequence_detail {

// The definition the vector kernels must match, on plain loops over blocks of 64 channels.
void sequence_product_portable(const SequenceProduct& product) {
  constexpr int kRows = SequenceWeight::kPanelRows;
  constexpr int kHalf = kRows / 2;
  constexpr int kChannels = 64;
  for (int panel = 0; panel < product.panel_count; ++panel) {
    const float* w = product.panels + static_cast<std::size_t>(panel) * product.in * kRows;
    const int first = panel * (product.swiglu ? kHalf : kRows);
    const int count = std::min(product.swiglu ? kHalf : kRows, product.result_rows - first);
    for (int c0 = 0; c0 < product.width; c0 += kChannels) {
      const int channels = std::min(kChannels, product.width - c0);
      float acc[kRows][kChannels] = {};
      for (int k = 0; k < product.in; ++k) {
        const float* x = product.x + static_cast<std::size_t>(k) * product.x_stride + c0;
        for (int slot = 0; slot < kRows; ++slot) {
          const float weight = w[static_cast<std::size_t>(k) * kRows + slot];
          for (int c = 0; c < channels; ++c) acc[slot][c] = std::fma(weight, x[c], acc[slot][c]);
        }
      }
      for (int slot = 0; slot < count; ++slot) {
        float* y = product.y + static_cast<std::size_t>(first + slot) * product.y_stride + c0;
        for (int c = 0; c < channels; ++c) {
          y[c] = product.swiglu ? fast_silu(acc[slot][c]) * acc[slot + kHalf][c] : acc[slot][c];
        }
      }
    }
  }
}

}  // namespace sequence_detail

void sequence_gemm(GemmKernel kernel, const SequenceWeight& w, const float* x, int x_stride,
                   int width, float* y, int y_stride) {
  GRAM_ASSERT(width > 0 && x_stride >= width && y_stride >= width, "sequence GEMM shapes");
  sequence_detail::SequenceProduct product;
  product.panels = w.panel(0);
  product.panel_count = w.panels();
  product.in = w.in();
  product.result_rows = w.result_rows();
  product.x = x;
  product.x_stride = x_stride;
  product.width = width;
  product.y = y;
  product.y_stride = y_stride;
  product.swiglu = w.layout() == SequenceWeight::Layout::kSwiGLU;
  switch (kernel) {
    case GemmKernel::kPortable: return sequence_detail::sequence_product_portable(product);
    case GemmKernel::kAvx2: return sequence_detail::sequence_product_avx2(product);
    case GemmKernel::kAvx512: return sequence_detail::sequence_product_avx512(product);
  }
}

}  // namespace gram::backend
