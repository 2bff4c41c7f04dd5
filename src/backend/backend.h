#pragma once
// The seam between the model and the hardware.
//
// The recursive model's forward pass (engine/recursive_model.cpp) is written once against this
// table of operations; the CPU backend (backend/cpu_backend.h) and the CUDA backend implement it.
// Pointers passed to an operation are backend memory from `allocate`; shapes are in elements
// and every operation checks the preconditions it relies on. Operations may run asynchronously:
// `copy_to_host` and `synchronize` are the only points where the host waits.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "rng/philox_noise.h"

namespace gram::backend {

// Per-row identity for the noise step (see rng/philox_noise.h); lives in backend memory.
struct NoiseRow {
  std::uint32_t puzzle = 0;
  std::uint32_t trajectory = 0;
  std::uint32_t step = 0;
};

// A weight matrix (out, in), as torch.nn.Linear stores it, prepared once (at model load) in the
// form the backend's products read: the CPU backend packs it for its fixed-order GEMM, the
// CUDA backend reads the uploaded matrix in place. Made by Backend::prepare_linear and used
// only with the backend that made it.
class LinearWeight {
 public:
  LinearWeight(int out, int in) : out_(out), in_(in) {}
  virtual ~LinearWeight() = default;
  LinearWeight(const LinearWeight&) = delete;
  LinearWeight& operator=(const LinearWeight&) = delete;
  int out() const { return out_; }
  int in() const { return in_; }

 private:
  int out_;
  int in_;
};

// What a prepared weight is for, so that a backend can lay it out for that product: the CPU
// backend packs each kind for its own kernels, the CUDA backend reads every kind in place.
enum class WeightUse {
  kLinear,        // linear(): y = x w^T + bias
  kSwiGLUGateUp,  // the [gate; up] matrix (2F, in) of a swiglu_block
  kSwiGLUDown,    // the down matrix (in, F) of a swiglu_block
  kMlpTGateUp,    // the [gate; up] matrix (2Ft, P+L) of an mlp_t_block
  kMlpTDown,      // the down matrix (P+L, Ft) of an mlp_t_block
};

// Memory a backend may use to run a block as its separate operations (the defaults of
// swiglu_block and mlp_t_block); a backend that fuses the block leaves it alone. Sized by the
// caller as the operations need (engine/recursive_model.cpp).
struct BlockWorkspace {
  float* wide = nullptr;        // (tokens, 2F) or (rows * D, 2Ft)
  float* narrow = nullptr;      // (tokens, F) or (rows * D, Ft)
  float* residual = nullptr;    // (rows, P+L, D)
  float* transposed = nullptr;  // (rows, D, P+L)
};

// Where a backend keeps its rows, and how much of it a run may take (Backend::memory_capacity).
// The memory plan (engine/memory_plan.h) fits the row cap to it.
struct MemoryCapacity {
  std::uint64_t available_bytes = 0;  // for weights and rows; 0: the machine does not say
  bool holds_host_results = true;     // the per-trajectory results live in the same memory
  std::uint64_t host_available_bytes = 0;  // else: host memory for the results (0: unknown)
  std::string where;                  // "host memory", "device memory of NVIDIA H200 (device 0)"
};

// What an operation's kernel can do, for checks at model load rather than at the first call.
struct AttentionLimits {
  int max_seq = 1 << 30;
  int max_head_dim = 1 << 30;
};

// Parameters of the GRAM noise step h = u + mu + sigma * eps.
struct NoiseParams {
  std::uint64_t seed = 0;
  std::uint32_t transition = 0;
  float sigma_min = 0;
  float sigma_max = 0;
};

// One draw point of a sampler (engine/sampler.h) in a transition: its Philox stream is
// rng/sampler_stream.h's (seed, the row's identity, transition, site).
struct SamplerDraw {
  std::uint64_t seed = 0;
  std::uint32_t transition = 0;
  std::uint32_t site = 1;  // 1..rng::kSamplerMaxSite
};

// x += amplitude * eps, amplitude = scale, or scale * the RMS of x over the position's
// channels when `relative` (backend/sampler_math.h).
struct InjectedNoise {
  SamplerDraw draw;
  float scale = 0;
  bool relative = false;
};

// Inverted dropout: an element whose Philox word is below `drop_below` becomes 0, the others are
// multiplied by `keep_scale` (backend/sampler_math.h).
struct DropoutMask {
  SamplerDraw draw;
  std::uint32_t drop_below = 0;
  float keep_scale = 1;
};

// A sampler's dropout on a block's branch (engine/sampler.h): `mask` applied to the branch's
// output W_down(...) before the residual add and the norm, as dropout() would apply it to the
// output of the block's separate operations: trajectory r's `per_row` elements numbered in that
// output's layout ((P+L, D) for swiglu_block, (D, P+L) for mlp_t_block), keyed by row_keys[r].
struct BlockDropout {
  const NoiseRow* row_keys = nullptr;  // (rows)
  std::size_t per_row = 0;             // (P+L) * D
  DropoutMask mask;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;      // "cpu", "cuda"
  virtual std::string describe() const = 0;  // threads, BLAS or device, for result files
  // The arithmetic of the matrix products: "fp32" on the CPU, GRAM_CUDA_MATH's choice on CUDA.
  virtual std::string gemm_math() const { return "fp32"; }
  // Free memory for a run's rows and weights: available host memory on the CPU, the device's
  // free memory (less a reserve) on CUDA. Read when a run is planned, before it allocates.
  virtual MemoryCapacity memory_capacity() const = 0;
  virtual AttentionLimits attention_limits() const { return {}; }

  // --- memory ------------------------------------------------------------------------------
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void release(void* pointer) = 0;
  virtual void copy_to_device(void* destination, const void* source, std::size_t bytes) = 0;
  virtual void copy_to_host(void* destination, const void* source, std::size_t bytes) = 0;
  virtual void copy_on_device(void* destination, const void* source, std::size_t bytes) = 0;
  virtual void synchronize() = 0;

  // --- dense algebra -----------------------------------------------------------------------
  // `w` (out, in) in backend memory, prepared for `use`. A backend that keeps the default
  // blocks below must prepare every use as for linear(). The CUDA backend keeps reading `w`,
  // so it must outlive the result.
  virtual std::unique_ptr<LinearWeight> prepare_linear(const float* w, int out, int in,
                                                       WeightUse use) = 0;
  // y (rows, w.out()) = x (rows, w.in()) * w^T + bias. x rows are `x_stride` floats apart
  // (>= in), so a single position of every trajectory can be read in place; bias may be null.
  // On the CPU every row's result is a function of that row alone, bit for bit (the
  // fixed-order GEMM, backend/fixed_order_gemm.h), whatever the batch around it.
  virtual void linear(int rows, const float* x, int x_stride, const LinearWeight& w,
                      const float* bias, float* y) = 0;
  // Seconds that `products` back-to-back calls of linear(rows, x, w.in(), w, null, y) take,
  // timed on the device's own clock where it has one (CUDA events around the whole batch, so
  // that launch gaps between products are not counted as idle host time), else on the host's
  // clock around the calls and a synchronize. For the GEMM peak (backend/gemm_peak.h).
  virtual double time_linear(int products, int rows, const float* x, const LinearWeight& w,
                             float* y);

  // --- elementwise -------------------------------------------------------------------------
  // out = a + b (+ c when c is not null); out may alias a.
  virtual void add(std::size_t count, const float* a, const float* b, const float* c,
                   float* out) = 0;
  // x = rmsnorm(x + residual) over rows of `width` (parameter-free, post-norm).
  virtual void add_rmsnorm(int rows, int width, float* x, const float* residual, float eps) = 0;
  // out (rows, hidden) = silu(gate_up[:, :hidden]) * gate_up[:, hidden:]; gate_up is (rows, 2*hidden).
  virtual void swiglu(int rows, int hidden, const float* gate_up, float* out) = 0;
  // x = silu(x).
  virtual void silu(std::size_t count, float* x) = 0;
  // Per batch item, (rows, cols) -> (cols, rows).
  virtual void transpose(int batch, int rows, int cols, const float* in, float* out) = 0;

  // --- blocks: a sequence of the operations above, which a backend may fuse ---------------
  // Each computes the same function as its operations one by one (what the defaults run, on
  // `workspace`); the CPU backend's fused versions compute the same bits, since every element
  // goes through the same chain of roundings.
  //
  // `dropout` (null: none) masks the branch before the add (BlockDropout).
  //
  // The SwiGLU feed-forward block and its post-norm, in place on x (tokens, D):
  // x = rmsnorm(x + W_down (silu(W_gate x) * (W_up x))), weights prepared as kSwiGLUGateUp
  // (2F, D) and kSwiGLUDown (D, F).
  virtual void swiglu_block(int tokens, float* x, const LinearWeight& gate_up,
                            const LinearWeight& down, float eps, const BlockWorkspace& workspace,
                            const BlockDropout* dropout);
  // The mlp_t mixer with TRM's norm over positions, in place on x (rows, P+L, D): for each row
  // and channel the vector v of its P+L positions becomes
  // rmsnorm(v + W_down (silu(W_gate v) * (W_up v))), normalised over positions; weights
  // prepared as kMlpTGateUp (2Ft, P+L) and kMlpTDown (P+L, Ft).
  virtual void mlp_t_block(int rows, int positions, int hidden, float* x,
                           const LinearWeight& gate_up, const LinearWeight& down, float eps,
                           const BlockWorkspace& workspace,
                           const BlockDropout* dropout);

  // --- model-specific ----------------------------------------------------------------------
  // Non-causal multi-head attention with RoPE on q and k (rotate-half convention).
  // qkv (batch, seq, 3 * heads * head_dim) -> out (batch, seq, heads * head_dim).
  // rope_cos/rope_sin are (seq, head_dim / 2), or null for no rotation.
  virtual void attention(int batch, int seq, int heads, int head_dim, const float* qkv,
                         const float* rope_cos, const float* rope_sin, float* out) = 0;
  // GRAM transition noise, in place on the (rows, positions, hidden) state:
  // h = u + mu + min(sigma_min + softplus(sigma_pre), sigma_max) * eps(row identity).
  virtual void noise_step(int rows, int positions, int hidden, float* u_then_h, const float* mu,
                          const float* sigma_pre, const NoiseRow* row_keys,
                          const NoiseParams& params) = 0;
  // Sampler noise, in place on the (rows, positions, hidden) state: see InjectedNoise. The RMS
  // of the relative mode is summed over one position's channels in channel order.
  virtual void inject_noise(int rows, int positions, int hidden, float* x,
                            const NoiseRow* row_keys, const InjectedNoise& noise) = 0;
  // Sampler dropout, in place on `rows` trajectories of `per_row` elements each (a row's
  // elements numbered in its buffer's own layout): see DropoutMask.
  virtual void dropout(int rows, std::size_t per_row, float* x, const NoiseRow* row_keys,
                       const DropoutMask& mask) = 0;
  // tokens (rows) = argmax over each row of logits (rows, vocab), in the order of
  // backend/argmax_order.h: ties -> lowest index, NaN below every number (chosen only when the
  // whole row is NaN, then index 0).
  virtual void argmax(int rows, int vocab, const float* logits, std::int32_t* tokens) = 0;
  // features (rows, kConfidenceFeatures) = backend/confidence_math.h's statistics of each row's
  // puzzle cells: logits (rows * positions, vocab) and tokens, previous (rows * positions), of
  // which each row's first `prefix` positions are skipped.
  virtual void confidence(int rows, int positions, int prefix, int vocab, const float* logits,
                          const std::int32_t* tokens, const std::int32_t* previous,
                          float* features) = 0;
  // out (rows, (positions - prefix) * vocab) = each row's puzzle-cell tokens one-hot (tokens
  // rows * positions, in 0..vocab-1), cell-major.
  virtual void one_hot(int rows, int positions, int prefix, int vocab, const std::int32_t* tokens,
                       float* out) = 0;
};

// MemAvailable of /proc/meminfo in bytes (what can be allocated without swapping), or 0 when
// the machine does not say: the CPU backend's memory capacity.
std::uint64_t available_host_memory_bytes();

enum class GemmKernel;  // backend/fixed_order_gemm.h
// The CPU backend with `threads` threads of its own pool (0: every core) and the fixed-order GEMM's
// fastest kernel for this CPU, or `kernel` (every kernel computes the same bits).
std::unique_ptr<Backend> make_cpu_backend(int threads);
std::unique_ptr<Backend> make_cpu_backend(int threads, GemmKernel kernel);

// Arithmetic of the CUDA backend's matrix products; everything else is fp32 in every mode.
//   fp32: fp32 inputs and accumulation (the default; answers match the CPU backend)
//   tf32: inputs rounded to TF32 on the tensor cores, fp32 accumulation
//   bf16: inputs rounded to bf16 on the tensor cores, fp32 accumulation (the weights are
//         converted to bf16 once, in prepare_linear; activations per product)
enum class CudaMath { kFp32, kTf32, kBf16 };
std::string to_string(CudaMath math);
// "fp32", "tf32" or "bf16"; a gram::Error naming the choices otherwise.
CudaMath parse_cuda_math(const std::string& text);

// cuBLAS's compute type and what it does, for result files and the GEMM peak's label:
// "CUBLAS_COMPUTE_32F_FAST_TF32: TF32 tensor-core inputs, fp32 accumulation".
std::string describe_cuda_math(CudaMath math);

struct CudaOptions {
  // The rank's place among the ranks of its host, which picks the device
  // (util/device_choice.h); -1: from the launcher's environment.
  int local_rank = -1;
  CudaMath math = CudaMath::kFp32;
};
// The CUDA backend. Defined in kernels/ when the build has GRAM_CUDA, otherwise by
// src/backend/cuda_unavailable.cpp, which throws; the choice is made in CMake, so no code here
// or in the engine tests for CUDA. Throws gram::Error when no usable device exists.
std::unique_ptr<Backend> make_cuda_backend(const CudaOptions& options);

// The backend named in a run config ("cpu", "cuda"); a clear error if it is not built or usable.
// "cuda" takes its matrix arithmetic from GRAM_CUDA_MATH (fp32 when unset) and "cpu" its GEMM
// kernel from GRAM_CPU_GEMM (portable, avx2 or avx512; the fastest the CPU runs when unset; a
// speed choice only, since all compute the same bits); describe() names either, so the choice
// is echoed into every result file.
// `local_rank` (the communicator's; -1: the environment's) picks the GPU of a "cuda" backend.
std::unique_ptr<Backend> make_backend(const std::string& name, int threads, int local_rank = -1);

// Backend memory owned by a scope.
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(Backend& backend, std::size_t count)
      : backend_(&backend),
        count_(count),
        data_(static_cast<T*>(count ? backend.allocate(count * sizeof(T)) : nullptr)) {}
  ~DeviceArray() { reset(); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& other) noexcept { *this = std::move(other); }
  DeviceArray& operator=(DeviceArray&& other) noexcept {
    if (this != &other) {
      reset();
      backend_ = other.backend_;
      count_ = other.count_;
      data_ = other.data_;
      other.data_ = nullptr;
      other.count_ = 0;
    }
    return *this;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return count_; }

 private:
  void reset() {
    if (data_ != nullptr) backend_->release(data_);
    data_ = nullptr;
    count_ = 0;
  }
  Backend* backend_ = nullptr;
  std::size_t count_ = 0;
  T* data_ = nullptr;
};

}  // namespace gram::backend
