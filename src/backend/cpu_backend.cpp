// The CPU backend: fp32 throughout, the fixed-order GEMM (backend/fixed_order_gemm.h) for every
// matrix product, so that a row's result never depends on the batch, and OpenMP for the
// elementwise passes. Every reduction on a row (a GEMM output, RMSNorm's sum of squares, an
// attention score and its softmax total, argmax) runs over that row alone in one fixed order.
// Memory is plain host memory, 64-byte aligned for the vector units.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <vector>

#include "backend/argmax_order.h"
#include "backend/backend.h"
#include "backend/fixed_order_gemm.h"
#include "backend/sampler_math.h"
#include "backend/vector_math.h"
#include "util/error.h"

namespace gram::backend {
namespace {

inline float silu_of(float x) { return fast_silu(x); }
inline float softplus_of(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }

rng::NoiseKey sampler_key(const SamplerDraw& draw, const NoiseRow& row) {
  rng::NoiseKey key;
  key.seed = draw.seed;
  key.puzzle = row.puzzle;
  key.trajectory = row.trajectory;
  key.step = row.step;
  key.transition = draw.transition;
  return key;
}

// The CPU form of a prepared weight: the packed panels the fixed-order GEMM reads.
class CpuLinearWeight final : public LinearWeight {
 public:
  CpuLinearWeight(const float* w, int out, int in) : LinearWeight(out, in), packed(w, out, in) {}
  PackedWeight packed;
};

class CpuBackend final : public Backend {
 public:
  CpuBackend(int threads, GemmKernel kernel)
      : threads_(threads > 0 ? threads : omp_get_num_procs()), gemm_kernel_(kernel) {
    if (!cpu_supports(kernel)) {
      throw Error("cpu backend: this CPU cannot run the " + to_string(kernel) +
                  " GEMM kernel (GRAM_CPU_GEMM)");
    }
    omp_set_num_threads(threads_);
  }

  std::string name() const override { return "cpu"; }
  std::string describe() const override {
    std::ostringstream text;
    text << "cpu fp32, " << threads_ << " threads, fixed-order GEMM (" << to_string(gemm_kernel_)
         << ")";
    return text.str();
  }

  void* allocate(std::size_t bytes) override {
    std::size_t rounded = (bytes + 63) / 64 * 64;
    void* pointer = std::aligned_alloc(64, rounded);
    if (pointer == nullptr) {
      throw Error("cpu backend: out of memory allocating " + std::to_string(bytes) + " bytes");
    }
    return pointer;
  }
  void release(void* pointer) override { std::free(pointer); }
  MemoryCapacity memory_capacity() const override {
    return {available_host_memory_bytes(), true, 0, "host memory"};
  }
  void copy_to_device(void* destination, const void* source, std::size_t bytes) override {
    std::memcpy(destination, source, bytes);
  }
  void copy_to_host(void* destination, const void* source, std::size_t bytes) override {
    std::memcpy(destination, source, bytes);
  }
  void copy_on_device(void* destination, const void* source, std::size_t bytes) override {
    std::memmove(destination, source, bytes);
  }
  void synchronize() override {}

  std::unique_ptr<LinearWeight> prepare_linear(const float* w, int out, int in) override {
    GRAM_ASSERT(out > 0 && in > 0, "linear weight shape");
    return std::make_unique<CpuLinearWeight>(w, out, in);
  }

  void linear(int rows, const float* x, int x_stride, const LinearWeight& w, const float* bias,
              float* y) override {
    GRAM_ASSERT(rows >= 0 && x_stride >= w.in(), "linear shapes");
    const auto* packed = dynamic_cast<const CpuLinearWeight*>(&w);
    GRAM_ASSERT(packed != nullptr, "linear: weight prepared by another backend");
    fixed_order_gemm(gemm_kernel_, threads_, rows, x, x_stride, packed->packed, bias, y);
  }

  void add(std::size_t count, const float* a, const float* b, const float* c,
           float* out) override {
    const auto n = static_cast<std::ptrdiff_t>(count);
    if (c != nullptr) {
#pragma omp parallel for simd schedule(static)
      for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = a[i] + b[i] + c[i];
    } else {
#pragma omp parallel for simd schedule(static)
      for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
    }
  }

  void add_rmsnorm(int rows, int width, float* x, const float* residual, float eps) override {
    GRAM_ASSERT(width > 0, "rmsnorm width");
#pragma omp parallel for schedule(static)
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

  void swiglu(int rows, int hidden, const float* gate_up, float* out) override {
#pragma omp parallel for schedule(static)
    for (int row = 0; row < rows; ++row) {
      const float* gate = gate_up + static_cast<std::size_t>(row) * 2 * hidden;
      const float* up = gate + hidden;
      float* result = out + static_cast<std::size_t>(row) * hidden;
#pragma omp simd
      for (int i = 0; i < hidden; ++i) result[i] = silu_of(gate[i]) * up[i];
    }
  }

  void silu(std::size_t count, float* x) override {
    const auto n = static_cast<std::ptrdiff_t>(count);
#pragma omp parallel for simd schedule(static)
    for (std::ptrdiff_t i = 0; i < n; ++i) x[i] = silu_of(x[i]);
  }

  void transpose(int batch, int rows, int cols, const float* in, float* out) override {
    // Tiled so that both the reads and the writes stay within a few cache lines.
    constexpr int kTile = 32;
    const std::size_t plane = static_cast<std::size_t>(rows) * cols;
#pragma omp parallel for collapse(2) schedule(static)
    for (int item = 0; item < batch; ++item) {
      for (int row_tile = 0; row_tile < rows; row_tile += kTile) {
        const float* source = in + item * plane;
        float* target = out + item * plane;
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
  }

  void attention(int batch, int seq, int heads, int head_dim, const float* qkv,
                 const float* rope_cos, const float* rope_sin, float* out) override;

  void noise_step(int rows, int positions, int hidden, float* u_then_h, const float* mu,
                  const float* sigma_pre, const NoiseRow* row_keys,
                  const NoiseParams& params) override {
    const std::size_t per_row = static_cast<std::size_t>(positions) * hidden;
    const auto groups = static_cast<std::uint32_t>((per_row + 3) / 4);
#pragma omp parallel for collapse(2) schedule(static)
    for (int row = 0; row < rows; ++row) {
      for (std::uint32_t group = 0; group < groups; ++group) {
        rng::NoiseKey key;
        key.seed = params.seed;
        key.puzzle = row_keys[row].puzzle;
        key.trajectory = row_keys[row].trajectory;
        key.step = row_keys[row].step;
        key.transition = params.transition;
        float eps[4];
        rng::normal4(key, group, eps);
        const std::size_t base = static_cast<std::size_t>(row) * per_row;
        for (std::size_t lane = 0; lane < 4; ++lane) {
          const std::size_t element = static_cast<std::size_t>(group) * 4 + lane;
          if (element >= per_row) break;
          const std::size_t index = base + element;
          const float sigma =
              std::min(params.sigma_min + softplus_of(sigma_pre[index]), params.sigma_max);
          u_then_h[index] = u_then_h[index] + mu[index] + sigma * eps[lane];
        }
      }
    }
  }

  // One position per iteration: its RMS is its own loop over its channels (sampler_math.h).
  void inject_noise(int rows, int positions, int hidden, float* x, const NoiseRow* row_keys,
                    const InjectedNoise& noise) override {
    GRAM_ASSERT(positions > 0 && hidden > 0, "inject_noise shapes");
#pragma omp parallel for collapse(2) schedule(static)
    for (int row = 0; row < rows; ++row) {
      for (int position = 0; position < positions; ++position) {
        const rng::NoiseKey key = sampler_key(noise.draw, row_keys[row]);
        const std::size_t first = static_cast<std::size_t>(position) * hidden;
        float* values = x + (static_cast<std::size_t>(row) * positions) * hidden + first;
        inject_noise_position(values, first, hidden, key, noise.draw.site, noise.scale,
                              noise.relative);
      }
    }
  }

  void dropout(int rows, std::size_t per_row, float* x, const NoiseRow* row_keys,
               const DropoutMask& mask) override {
    const auto groups = static_cast<std::uint32_t>((per_row + 3) / 4);
#pragma omp parallel for collapse(2) schedule(static)
    for (int row = 0; row < rows; ++row) {
      for (std::uint32_t group = 0; group < groups; ++group) {
        dropout_group(x + static_cast<std::size_t>(row) * per_row, per_row, group,
                      sampler_key(mask.draw, row_keys[row]), mask.draw.site, mask.drop_below,
                      mask.keep_scale);
      }
    }
  }

  void argmax(int rows, int vocab, const float* logits, std::int32_t* tokens) override {
#pragma omp parallel for schedule(static)
    for (int row = 0; row < rows; ++row) {
      const float* values = logits + static_cast<std::size_t>(row) * vocab;
      int best = 0;
      for (int token = 1; token < vocab; ++token) {
        if (argmax_prefers(values[token], token, values[best], best)) best = token;
      }
      tokens[row] = best;
    }
  }

 private:
  int threads_;
  GemmKernel gemm_kernel_;
};

void CpuBackend::attention(int batch, int seq, int heads, int head_dim, const float* qkv,
                           const float* rope_cos, const float* rope_sin, float* out) {
  GRAM_ASSERT(head_dim % 2 == 0 || rope_cos == nullptr, "RoPE needs an even head dimension");
  const int hidden = heads * head_dim;
  const int half = head_dim / 2;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
#pragma omp parallel
  {
    // Per-thread scratch: rotated q and k of one head, and one row of scores.
    std::vector<float> q(static_cast<std::size_t>(seq) * head_dim);
    std::vector<float> k(static_cast<std::size_t>(seq) * head_dim);
    std::vector<float> scores(seq);
#pragma omp for collapse(2) schedule(static)
    for (int item = 0; item < batch; ++item) {
      for (int head = 0; head < heads; ++head) {
        const float* base = qkv + static_cast<std::size_t>(item) * seq * 3 * hidden;
        for (int position = 0; position < seq; ++position) {
          const float* row = base + static_cast<std::size_t>(position) * 3 * hidden;
          const float* q_in = row + head * head_dim;
          const float* k_in = row + hidden + head * head_dim;
          float* q_out = q.data() + static_cast<std::size_t>(position) * head_dim;
          float* k_out = k.data() + static_cast<std::size_t>(position) * head_dim;
          if (rope_cos == nullptr) {
            std::copy(q_in, q_in + head_dim, q_out);
            std::copy(k_in, k_in + head_dim, k_out);
            continue;
          }
          const float* cos_row = rope_cos + static_cast<std::size_t>(position) * half;
          const float* sin_row = rope_sin + static_cast<std::size_t>(position) * half;
          for (int i = 0; i < half; ++i) {
            // rotate_half: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)
            q_out[i] = q_in[i] * cos_row[i] - q_in[i + half] * sin_row[i];
            q_out[i + half] = q_in[i + half] * cos_row[i] + q_in[i] * sin_row[i];
            k_out[i] = k_in[i] * cos_row[i] - k_in[i + half] * sin_row[i];
            k_out[i + half] = k_in[i + half] * cos_row[i] + k_in[i] * sin_row[i];
          }
        }
        for (int query = 0; query < seq; ++query) {
          const float* q_row = q.data() + static_cast<std::size_t>(query) * head_dim;
          float max_score = -INFINITY;
          for (int key = 0; key < seq; ++key) {
            const float* k_row = k.data() + static_cast<std::size_t>(key) * head_dim;
            float dot = 0.0f;
            for (int i = 0; i < head_dim; ++i) dot += q_row[i] * k_row[i];
            scores[key] = dot * scale;
            max_score = std::max(max_score, scores[key]);
          }
          float total = 0.0f;
          for (int key = 0; key < seq; ++key) {
            scores[key] = std::exp(scores[key] - max_score);
            total += scores[key];
          }
          float* result = out + (static_cast<std::size_t>(item) * seq + query) * hidden +
                          head * head_dim;
          std::fill(result, result + head_dim, 0.0f);
          for (int key = 0; key < seq; ++key) {
            const float weight = scores[key] / total;
            const float* v_row = base + static_cast<std::size_t>(key) * 3 * hidden + 2 * hidden +
                                 head * head_dim;
            for (int i = 0; i < head_dim; ++i) result[i] += weight * v_row[i];
          }
        }
      }
    }
  }
}

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads, GemmKernel kernel) {
  return std::make_unique<CpuBackend>(threads, kernel);
}

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return make_cpu_backend(threads, best_gemm_kernel());
}

}  // namespace gram::backend
