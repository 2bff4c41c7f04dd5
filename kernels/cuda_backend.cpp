// The CUDA backend: backend::Backend on one device and one stream.
//
// Matrix products go to cuBLAS (fp32, or tf32 / bf16 tensor-core inputs with fp32 accumulation,
// chosen per run); everything else is the kernels of this folder, one family per file pair. The
// device is the rank's (util/device_choice.h: local rank modulo the visible devices), the same
// one the NCCL communicator opens.
// Every operation is queued on the backend's stream and returns at once; the host waits only in
// copy_to_host, synchronize and release, so a supervision step (tens to hundreds of launches)
// runs without a host round trip. Small host-to-device copies (the per-row noise keys, once per
// transition) go through a ring of pinned staging buffers for the same reason: a copy from
// pageable memory would wait for the stream.
//
// This file is host code (compiled by the C++ compiler against the CUDA runtime); the kernels
// are in the .cu files.
//
// backend.h comes first on purpose: it includes Random123, which takes the presence of the CUDA
// runtime header (CUDART_VERSION) to mean that sincospif exists, true only under nvcc.
#include "backend/backend.h"  // NOLINT(llvm-include-order)

#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <sstream>

#include "argmax.h"
#include "attention.h"
#include "convert.h"
#include "cuda_check.h"
#include "elementwise.h"
#include "gemm_chunks.h"
#include "noise.h"
#include "rmsnorm.h"
#include "sampler.h"
#include "transpose.h"
#include "verifier_inputs.h"
#include "util/device_choice.h"
#include "util/error.h"

namespace gram::backend {
namespace {

// Pinned staging for small uploads: slot i may be rewritten once the copy that last read it
// has finished (its event), which by then is usually long past.
class StagingRing {
 public:
  // Large enough for a started row's embedding ((P+L) x D floats up to 256 x 1024), so that
  // refilling rows between steps does not wait for the stream either. 8 MiB pinned in all.
  static constexpr std::size_t kSlotBytes = 1024 * 1024;
  static constexpr int kSlots = 8;

  StagingRing() {
    for (auto& slot : slots_) {
      CUDA_CHECK(cudaHostAlloc(&slot.memory, kSlotBytes, cudaHostAllocDefault));
      CUDA_CHECK(cudaEventCreateWithFlags(&slot.done, cudaEventDisableTiming));
    }
  }
  ~StagingRing() {
    for (auto& slot : slots_) {
      if (slot.done != nullptr) CUDA_WARN(cudaEventDestroy(slot.done));
      if (slot.memory != nullptr) CUDA_WARN(cudaFreeHost(slot.memory));
    }
  }
  StagingRing(const StagingRing&) = delete;
  StagingRing& operator=(const StagingRing&) = delete;

  void upload(void* destination, const void* source, std::size_t bytes, cudaStream_t stream) {
    Slot& slot = slots_[next_];
    next_ = (next_ + 1) % kSlots;
    CUDA_CHECK(cudaEventSynchronize(slot.done));
    std::memcpy(slot.memory, source, bytes);
    CUDA_CHECK(cudaMemcpyAsync(destination, slot.memory, bytes, cudaMemcpyHostToDevice, stream));
    CUDA_CHECK(cudaEventRecord(slot.done, stream));
  }

 private:
  struct Slot {
    void* memory = nullptr;
    cudaEvent_t done = nullptr;
  };
  std::array<Slot, kSlots> slots_{};
  int next_ = 0;
};

// The CUDA form of a prepared weight: cuBLAS reads the uploaded (out, in) matrix in place, or,
// in bf16 mode, a bf16 copy made once here, so that no product converts a weight again (and
// the products read half the bytes).
class CudaLinearWeight final : public LinearWeight {
 public:
  CudaLinearWeight(const float* w, int out, int in) : LinearWeight(out, in), matrix(w) {}
  ~CudaLinearWeight() override {
    if (bf16 != nullptr) CUDA_WARN(cudaFree(bf16));
  }
  const float* matrix;              // (out, in) device memory, owned by the caller
  std::uint16_t* bf16 = nullptr;    // (out, in) bf16 bits, owned here; bf16 mode only
};

// Two events around a stretch of the stream; destroyed on every path.
class EventPair {
 public:
  EventPair() {
    CUDA_CHECK(cudaEventCreate(&start));
    CUDA_CHECK(cudaEventCreate(&stop));
  }
  ~EventPair() {
    CUDA_WARN(cudaEventDestroy(start));
    CUDA_WARN(cudaEventDestroy(stop));
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
  cudaEvent_t start = nullptr;
  cudaEvent_t stop = nullptr;
};

// Device memory a run must leave free: cuBLAS's workspaces, the bf16 activation scratch and
// the allocator's granularity. 1/16 of the free memory, at most 1 GiB.
std::uint64_t device_reserve(std::uint64_t free_bytes) {
  return std::min<std::uint64_t>(free_bytes / 16, std::uint64_t{1} << 30);
}

// The bf16 path converts at most this many activations per cuBLAS call (128 MiB of scratch).
constexpr std::int64_t kBf16ScratchElements = std::int64_t{1} << 26;

cublasComputeType_t compute_type(CudaMath math) {
  switch (math) {
    case CudaMath::kFp32: return CUBLAS_COMPUTE_32F;
    case CudaMath::kTf32: return CUBLAS_COMPUTE_32F_FAST_TF32;
    case CudaMath::kBf16: return CUBLAS_COMPUTE_32F_FAST_16BF;
  }
  return CUBLAS_COMPUTE_32F;
}

class CudaBackend final : public Backend {
 public:
  CudaBackend(const DeviceChoice& choice, CudaMath math) : choice_(choice), math_(math) {
    CUDA_CHECK(cudaSetDevice(choice_.device));
    CUDA_CHECK(cudaGetDeviceProperties(&properties_, choice_.device));
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    CUBLAS_CHECK(cublasCreate(&cublas_));
    CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    staging_ = std::make_unique<StagingRing>();
  }
  ~CudaBackend() override {
    if (stream_ != nullptr) CUDA_WARN(cudaStreamSynchronize(stream_));
    staging_.reset();
    if (scratch_ != nullptr) CUDA_WARN(cudaFree(scratch_));
    if (bf16_scratch_ != nullptr) CUDA_WARN(cudaFree(bf16_scratch_));
    if (cublas_ != nullptr) cublasDestroy(cublas_);
    if (stream_ != nullptr) CUDA_WARN(cudaStreamDestroy(stream_));
  }

  std::string name() const override { return "cuda"; }
  std::string describe() const override {
    int runtime = 0;
    int driver = 0;
    int cublas = 0;
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);
    cublasGetVersion(cublas_, &cublas);
    std::ostringstream text;
    text << "cuda " << properties_.name << " (" << gram::describe(choice_) << ", sm_"
         << properties_.major << properties_.minor << ", " << properties_.multiProcessorCount
         << " SMs, " << properties_.totalGlobalMem / (1024 * 1024) << " MiB), math "
         << to_string(math_) << " (" << describe_cuda_math(math_) << "), runtime "
         << runtime / 1000 << "." << runtime % 1000 / 10 << ", driver " << driver / 1000 << "."
         << driver % 1000 / 10 << ", cuBLAS " << cublas;
    return text.str();
  }
  std::string gemm_math() const override { return to_string(math_); }
  MemoryCapacity memory_capacity() const override {
    std::size_t free_bytes = 0;
    std::size_t total_bytes = 0;
    CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    MemoryCapacity capacity;
    capacity.available_bytes = free_bytes - device_reserve(free_bytes);
    capacity.holds_host_results = false;  // results go to the host as rows finish
    capacity.host_available_bytes = available_host_memory_bytes();
    capacity.where = "device memory of " + std::string(properties_.name) + " (device " +
                     std::to_string(choice_.device) + ")";
    return capacity;
  }
  AttentionLimits attention_limits() const override {
    return {kernels::kAttentionMaxSeq, kernels::kAttentionMaxHeadDim};
  }

  // --- memory ------------------------------------------------------------------------------
  void* allocate(std::size_t bytes) override {
    void* pointer = nullptr;
    const cudaError_t status = cudaMalloc(&pointer, bytes);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear it: the device is still usable
      throw Error("cuda backend: out of device memory allocating " + std::to_string(bytes) +
                  " bytes on " + properties_.name);
    }
    CUDA_CHECK(status);
    return pointer;
  }
  // cudaFree waits for the device; this runs from destructors, so it reports, never throws.
  void release(void* pointer) override { CUDA_WARN(cudaFree(pointer)); }

  void copy_to_device(void* destination, const void* source, std::size_t bytes) override {
    if (bytes == 0) return;
    if (bytes <= StagingRing::kSlotBytes) {
      staging_->upload(destination, source, bytes, stream_);
      return;
    }
    // Large uploads happen once per run (the weights); a pageable copy returns once the source
    // has been staged, so the caller may reuse it at once.
    CUDA_CHECK(cudaMemcpyAsync(destination, source, bytes, cudaMemcpyHostToDevice, stream_));
  }
  void copy_to_host(void* destination, const void* source, std::size_t bytes) override {
    if (bytes == 0) return;
    CUDA_CHECK(cudaMemcpyAsync(destination, source, bytes, cudaMemcpyDeviceToHost, stream_));
    CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void copy_on_device(void* destination, const void* source, std::size_t bytes) override {
    if (bytes == 0 || destination == source) return;
    const auto* to = static_cast<const char*>(destination);
    const auto* from = static_cast<const char*>(source);
    if (to < from + bytes && from < to + bytes) {
      // Overlapping ranges (memmove semantics, as on the CPU): go through scratch memory.
      char* scratch = scratch_bytes(bytes);
      CUDA_CHECK(cudaMemcpyAsync(scratch, source, bytes, cudaMemcpyDeviceToDevice, stream_));
      source = scratch;
    }
    CUDA_CHECK(cudaMemcpyAsync(destination, source, bytes, cudaMemcpyDeviceToDevice, stream_));
  }
  void synchronize() override { CUDA_CHECK(cudaStreamSynchronize(stream_)); }

  // --- dense algebra -----------------------------------------------------------------------
  // Every use is read in place (the blocks run as their separate operations here).
  std::unique_ptr<LinearWeight> prepare_linear(const float* w, int out, int in,
                                               WeightUse /*use*/) override {
    GRAM_ASSERT(out > 0 && in > 0, "linear weight shape");
    auto prepared = std::make_unique<CudaLinearWeight>(w, out, in);
    if (math_ == CudaMath::kBf16) {
      const std::size_t elements = static_cast<std::size_t>(out) * in;
      prepared->bf16 = static_cast<std::uint16_t*>(allocate(elements * sizeof(std::uint16_t)));
      kernels::launch_to_bf16(out, in, w, in, prepared->bf16, stream_);
    }
    return prepared;
  }

  void linear(int rows, const float* x, int x_stride, const LinearWeight& weight,
              const float* bias, float* y) override {
    const auto* prepared = dynamic_cast<const CudaLinearWeight*>(&weight);
    GRAM_ASSERT(prepared != nullptr, "linear: weight prepared by another backend");
    const int out = weight.out();
    const int in = weight.in();
    GRAM_ASSERT(rows >= 0 && x_stride >= in, "linear shapes");
    if (rows == 0) return;
    float beta = 0.0f;
    if (bias != nullptr) {
      kernels::launch_broadcast_row(rows, out, bias, y, stream_);
      beta = 1.0f;
    }
    int rows_per_call = kernels::gemm_rows_per_call(std::max(x_stride, out));
    if (prepared->bf16 != nullptr) {
      rows_per_call = std::min(rows_per_call, kernels::gemm_rows_per_call(in, kBf16ScratchElements));
    }
    for (const kernels::RowChunk& chunk : kernels::gemm_row_chunks(rows, rows_per_call)) {
      const float* chunk_x = x + chunk.first * x_stride;  // (chunk.rows, in), x_stride apart
      float* chunk_y = y + chunk.first * out;             // (chunk.rows, out)
      if (prepared->bf16 != nullptr) {
        product_bf16(chunk.rows, chunk_x, x_stride, *prepared, beta, chunk_y);
      } else {
        product_fp32(chunk.rows, chunk_x, x_stride, *prepared, beta, chunk_y);
      }
    }
  }

  double time_linear(int products, int rows, const float* x, const LinearWeight& w,
                     float* y) override {
    GRAM_ASSERT(products > 0, "time_linear: at least one product");
    EventPair events;
    CUDA_CHECK(cudaEventRecord(events.start, stream_));
    for (int product = 0; product < products; ++product) linear(rows, x, w.in(), w, nullptr, y);
    CUDA_CHECK(cudaEventRecord(events.stop, stream_));
    CUDA_CHECK(cudaEventSynchronize(events.stop));
    float milliseconds = 0.0f;
    CUDA_CHECK(cudaEventElapsedTime(&milliseconds, events.start, events.stop));
    return milliseconds / 1e3;
  }

  // --- elementwise -------------------------------------------------------------------------
  void add(std::size_t count, const float* a, const float* b, const float* c,
           float* out) override {
    kernels::launch_add(count, a, b, c, out, stream_);
  }
  void add_rmsnorm(int rows, int width, float* x, const float* residual, float eps) override {
    kernels::launch_add_rmsnorm(rows, width, x, residual, eps, stream_);
  }
  void swiglu(int rows, int hidden, const float* gate_up, float* out) override {
    kernels::launch_swiglu(rows, hidden, gate_up, out, stream_);
  }
  void silu(std::size_t count, float* x) override { kernels::launch_silu(count, x, stream_); }
  void transpose(int batch, int rows, int cols, const float* in, float* out) override {
    kernels::launch_transpose(batch, rows, cols, in, out, stream_);
  }

  // --- model-specific ----------------------------------------------------------------------
  void attention(int batch, int seq, int heads, int head_dim, const float* qkv,
                 const float* rope_cos, const float* rope_sin, float* out) override {
    kernels::launch_attention(batch, seq, heads, head_dim, qkv, rope_cos, rope_sin, out, stream_);
  }
  void noise_step(int rows, int positions, int hidden, float* u_then_h, const float* mu,
                  const float* sigma_pre, const NoiseRow* row_keys,
                  const NoiseParams& params) override {
    kernels::launch_noise_step(rows, positions, hidden, u_then_h, mu, sigma_pre, row_keys, params,
                               stream_);
  }
  void inject_noise(int rows, int positions, int hidden, float* x, const NoiseRow* row_keys,
                    const InjectedNoise& noise) override {
    kernels::launch_inject_noise(rows, positions, hidden, x, row_keys, noise, stream_);
  }
  void dropout(int rows, std::size_t per_row, float* x, const NoiseRow* row_keys,
               const DropoutMask& mask) override {
    kernels::launch_dropout(rows, per_row, x, row_keys, mask, stream_);
  }
  void argmax(int rows, int vocab, const float* logits, std::int32_t* tokens) override {
    kernels::launch_argmax(rows, vocab, logits, tokens, stream_);
  }
  void confidence(int rows, int positions, int prefix, int vocab, const float* logits,
                  const std::int32_t* tokens, const std::int32_t* previous,
                  float* features) override {
    kernels::launch_confidence(rows, positions, prefix, vocab, logits, tokens, previous, features,
                               stream_);
  }
  void one_hot(int rows, int positions, int prefix, int vocab, const std::int32_t* tokens,
               float* out) override {
    kernels::launch_one_hot(rows, positions, prefix, vocab, tokens, out, stream_);
  }

 private:
  // Row-major y (rows, out) = x (rows, in) w^T is column-major y^T (out, rows) =
  // w^T-as-stored (in, out)^T x^T (in, rows): A = w with lda = in, transposed; B = x with
  // ldb = x_stride, as is.
  void product_fp32(int rows, const float* x, int x_stride, const CudaLinearWeight& weight,
                    float beta, float* y) {
    const float alpha = 1.0f;
    CUBLAS_CHECK(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, weight.out(), rows, weight.in(),
                              &alpha, weight.matrix, CUDA_R_32F, weight.in(), x, CUDA_R_32F,
                              x_stride, &beta, y, CUDA_R_32F, weight.out(), compute_type(math_),
                              CUBLAS_GEMM_DEFAULT));
  }

  // bf16 operands, fp32 output and accumulation: the weight's bf16 copy and the activations
  // converted into packed scratch (rows, in).
  void product_bf16(int rows, const float* x, int x_stride, const CudaLinearWeight& weight,
                    float beta, float* y) {
    const int in = weight.in();
    std::uint16_t* x_bf16 = bf16_scratch(static_cast<std::size_t>(rows) * in);
    kernels::launch_to_bf16(rows, in, x, x_stride, x_bf16, stream_);
    const float alpha = 1.0f;
    CUBLAS_CHECK(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, weight.out(), rows, in, &alpha,
                              weight.bf16, CUDA_R_16BF, in, x_bf16, CUDA_R_16BF, in, &beta, y,
                              CUDA_R_32F, weight.out(), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }

  char* scratch_bytes(std::size_t bytes) {
    if (bytes > scratch_size_) {
      if (scratch_ != nullptr) CUDA_CHECK(cudaFree(scratch_));
      scratch_ = nullptr;
      CUDA_CHECK(cudaMalloc(&scratch_, bytes));
      scratch_size_ = bytes;
    }
    return static_cast<char*>(scratch_);
  }
  // Grows only; cudaFree waits for the device, so earlier products that read it are done.
  std::uint16_t* bf16_scratch(std::size_t elements) {
    if (elements > bf16_scratch_size_) {
      if (bf16_scratch_ != nullptr) CUDA_CHECK(cudaFree(bf16_scratch_));
      bf16_scratch_ = nullptr;
      bf16_scratch_ = static_cast<std::uint16_t*>(allocate(elements * sizeof(std::uint16_t)));
      bf16_scratch_size_ = elements;
    }
    return bf16_scratch_;
  }

  DeviceChoice choice_;
  CudaMath math_;
  cudaDeviceProp properties_{};
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  std::unique_ptr<StagingRing> staging_;
  void* scratch_ = nullptr;
  std::size_t scratch_size_ = 0;
  std::uint16_t* bf16_scratch_ = nullptr;
  std::size_t bf16_scratch_size_ = 0;
};

// The backend on the rank's device (util/device_choice.h), or a gram::Error saying why there is
// none.
std::unique_ptr<Backend> open_cuda_backend(const CudaOptions& options) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    throw Error(std::string("backend cuda: no usable CUDA device (cudaGetDeviceCount: ") +
                cudaGetErrorName(status) + ": " + cudaGetErrorString(status) + ")");
  }
  if (count == 0) {
    throw Error("backend cuda: no usable CUDA device (cudaGetDeviceCount found none)");
  }
  const DeviceChoice choice = choose_device(count, local_rank_or_environment(options.local_rank));
  CUDA_CHECK(cudaSetDevice(choice.device));
  if (const cudaError_t image = kernels::probe_kernel_image(); image != cudaSuccess) {
    cudaGetLastError();
    cudaDeviceProp properties{};
    CUDA_CHECK(cudaGetDeviceProperties(&properties, choice.device));
    throw Error("backend cuda: " + std::string(properties.name) + " (sm_" +
                std::to_string(properties.major) + std::to_string(properties.minor) +
                ") cannot run this build's kernels (" + cudaGetErrorName(image) +
                "); rebuild with CMAKE_CUDA_ARCHITECTURES including it");
  }
  return std::make_unique<CudaBackend>(choice, options.math);
}

}  // namespace
}  // namespace gram::backend

// The plugin's entry point (util/plugin.h), called by make_cuda_backend in
// src/backend/cuda_plugin.cpp: a backend the caller owns, or a thrown gram::Error.
extern "C" __attribute__((visibility("default"))) gram::backend::Backend* gram_cuda_backend(
    const gram::backend::CudaOptions* options) {
  return gram::backend::open_cuda_backend(*options).release();
}
