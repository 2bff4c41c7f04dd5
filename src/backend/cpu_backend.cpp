// The CPU backend's memory, products and elementwise passes (cpu_backend.h says where the rest
// lives).
#include "backend/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "backend/argmax_order.h"
#include "backend/confidence_math.h"
#include "backend/elementwise_kernels.h"
#include "util/error.h"

namespace gram::backend {

CpuLinearWeight::CpuLinearWeight(const float* w, int out, int in, WeightUse use)
    : LinearWeight(out, in), use(use) {
  switch (use) {
    case WeightUse::kLinear:
    case WeightUse::kSwiGLUDown:
      columns = std::make_unique<PackedWeight>(w, out, in);
      break;
    case WeightUse::kSwiGLUGateUp:
      columns = std::make_unique<PackedWeight>(w, out, in, PackedWeight::Layout::kSwiGLU);
      break;
    case WeightUse::kMlpTGateUp:
      sequence = std::make_unique<SequenceWeight>(w, out, in, SequenceWeight::Layout::kSwiGLU);
      break;
    case WeightUse::kMlpTDown:
      sequence = std::make_unique<SequenceWeight>(w, out, in, SequenceWeight::Layout::kRows);
      break;
  }
}

void ThreadScratch::Free::operator()(float* pointer) const { std::free(pointer); }

float* ThreadScratch::floats(std::size_t count) {
  if (count > capacity_) {
    const std::size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (data_ == nullptr) {
      throw Error("cpu backend: out of memory allocating " + std::to_string(bytes) +
                  " bytes of scratch");
    }
    capacity_ = count;
  }
  return data_.get();
}

CpuBackend::CpuBackend(int threads, GemmKernel kernel)
    : threads_(threads > 0 ? threads : available_cores()),
      kernel_(kernel),
      pool_(threads_),
      scratch_(static_cast<std::size_t>(threads_)) {
  if (!cpu_supports(kernel)) {
    throw Error("cpu backend: this CPU cannot run the " + to_string(kernel) +
                " GEMM kernel (GRAM_CPU_GEMM)");
  }
}

std::string CpuBackend::describe() const {
  std::ostringstream text;
  text << "cpu fp32, " << threads_ << " threads, fixed-order GEMM (" << to_string(kernel_) << ")";
  return text.str();
}

// Host memory, 64-byte aligned for the vector units.
void* CpuBackend::allocate(std::size_t bytes) {
  const std::size_t rounded = (bytes + 63) / 64 * 64;
  void* pointer = std::aligned_alloc(64, rounded);
  if (pointer == nullptr) {
    throw Error("cpu backend: out of memory allocating " + std::to_string(bytes) + " bytes");
  }
  return pointer;
}

void CpuBackend::release(void* pointer) { std::free(pointer); }

void CpuBackend::copy_to_device(void* destination, const void* source, std::size_t bytes) {
  std::memcpy(destination, source, bytes);
}

void CpuBackend::copy_to_host(void* destination, const void* source, std::size_t bytes) {
  std::memcpy(destination, source, bytes);
}

void CpuBackend::copy_on_device(void* destination, const void* source, std::size_t bytes) {
  std::memmove(destination, source, bytes);
}

std::unique_ptr<LinearWeight> CpuBackend::prepare_linear(const float* w, int out, int in,
                                                         WeightUse use) {
  GRAM_ASSERT(out > 0 && in > 0, "linear weight shape");
  return std::make_unique<CpuLinearWeight>(w, out, in, use);
}

void CpuBackend::linear(int rows, const float* x, int x_stride, const LinearWeight& w,
                        const float* bias, float* y) {
  GRAM_ASSERT(rows >= 0 && x_stride >= w.in(), "linear shapes");
  const auto* packed = dynamic_cast<const CpuLinearWeight*>(&w);
  GRAM_ASSERT(packed != nullptr, "linear: weight prepared by another backend");
  GRAM_ASSERT(packed->use == WeightUse::kLinear, "linear: weight prepared for a block");
  fixed_order_gemm(kernel_, pool_, rows, x, x_stride, *packed->columns, bias, y);
}

void CpuBackend::add(std::size_t count, const float* a, const float* b, const float* c,
                     float* out) {
  parallel_range(pool_, count, [&](std::size_t first, std::size_t last) {
    if (c != nullptr) {
#pragma omp simd
      for (std::size_t i = first; i < last; ++i) out[i] = a[i] + b[i] + c[i];
    } else {
#pragma omp simd
      for (std::size_t i = first; i < last; ++i) out[i] = a[i] + b[i];
    }
  });
}

void add_rmsnorm_rows(int rows, int width, float* x, const float* residual, float eps) {
  for (int row = 0; row < rows; ++row) {
    float* values = x + static_cast<std::size_t>(row) * width;
    const float* added = residual + static_cast<std::size_t>(row) * width;
    float sum_squares = 0.0f;
    for (int i = 0; i < width; ++i) {
      values[i] += added[i];
      sum_squares += values[i] * values[i];
    }
    const float scale = 1.0f / std::sqrt(sum_squares / static_cast<float>(width) + eps);
    for (int i = 0; i < width; ++i) values[i] *= scale;
  }
}

void CpuBackend::add_rmsnorm(int rows, int width, float* x, const float* residual, float eps) {
  GRAM_ASSERT(width > 0, "rmsnorm width");
  parallel_rows(pool_, rows, static_cast<std::size_t>(width), [&](int first, int last) {
    const std::size_t offset = static_cast<std::size_t>(first) * width;
    add_rmsnorm_rows(last - first, width, x + offset, residual + offset, eps);
  });
}

void CpuBackend::swiglu(int rows, int hidden, const float* gate_up, float* out) {
  parallel_rows(pool_, rows, static_cast<std::size_t>(hidden), [&](int first, int last) {
    for (int row = first; row < last; ++row) {
      const float* gate = gate_up + static_cast<std::size_t>(row) * 2 * hidden;
      swiglu_array(kernel_, static_cast<std::size_t>(hidden), gate, gate + hidden,
                   out + static_cast<std::size_t>(row) * hidden);
    }
  });
}

void CpuBackend::silu(std::size_t count, float* x) {
  parallel_range(pool_, count, [&](std::size_t first, std::size_t last) {
    silu_array(kernel_, last - first, x + first);
  });
}

void CpuBackend::transpose(int batch, int rows, int cols, const float* in, float* out) {
  // Tiled so that both the reads and the writes stay within a few cache lines.
  constexpr int kTile = 32;
  const std::size_t plane = static_cast<std::size_t>(rows) * cols;
  parallel_rows(pool_, batch, plane, [&](int first, int last) {
    for (int item = first; item < last; ++item) {
      const float* source = in + item * plane;
      float* target = out + item * plane;
      for (int row_tile = 0; row_tile < rows; row_tile += kTile) {
        for (int col_tile = 0; col_tile < cols; col_tile += kTile) {
          for (int row = row_tile; row < std::min(rows, row_tile + kTile); ++row) {
            for (int col = col_tile; col < std::min(cols, col_tile + kTile); ++col) {
              target[static_cast<std::size_t>(col) * rows + row] =
                  source[static_cast<std::size_t>(row) * cols + col];
            }
          }
        }
      }
    }
  });
}

void CpuBackend::argmax(int rows, int vocab, const float* logits, std::int32_t* tokens) {
  parallel_rows(pool_, rows, static_cast<std::size_t>(vocab), [&](int first, int last) {
    for (int row = first; row < last; ++row) {
      const float* values = logits + static_cast<std::size_t>(row) * vocab;
      int best = 0;
      for (int token = 1; token < vocab; ++token) {
        if (argmax_prefers(values[token], token, values[best], best)) best = token;
      }
      tokens[row] = best;
    }
  });
}

void CpuBackend::confidence(int rows, int positions, int prefix, int vocab, const float* logits,
                            const std::int32_t* tokens, const std::int32_t* previous,
                            float* features) {
  const std::size_t work = static_cast<std::size_t>(positions) * static_cast<std::size_t>(vocab);
  parallel_rows(pool_, rows, work, [&](int first, int last) {
    for (int row = first; row < last; ++row) {
      const std::size_t cell = static_cast<std::size_t>(row) * positions + prefix;
      confidence_features(positions - prefix, vocab, logits + cell * vocab, tokens + cell,
                          previous + cell, features + static_cast<std::size_t>(row) * kConfidenceFeatures);
    }
  });
}

void CpuBackend::one_hot(int rows, int positions, int prefix, int vocab, const std::int32_t* tokens,
                         float* out) {
  const std::size_t cells = static_cast<std::size_t>(positions - prefix);
  parallel_rows(pool_, rows, cells * vocab, [&](int first, int last) {
    for (int row = first; row < last; ++row) {
      float* row_out = out + static_cast<std::size_t>(row) * cells * vocab;
      std::fill(row_out, row_out + cells * vocab, 0.0f);
      const std::int32_t* row_tokens = tokens + static_cast<std::size_t>(row) * positions + prefix;
      for (std::size_t cell = 0; cell < cells; ++cell) row_out[cell * vocab + row_tokens[cell]] = 1.0f;
    }
  });
}

std::unique_ptr<Backend> make_cpu_backend(int threads, GemmKernel kernel) {
  return std::make_unique<CpuBackend>(threads, kernel);
}

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return make_cpu_backend(threads, best_gemm_kernel());
}

}  // namespace gram::backend
