// The arithmetic and the label of the GEMM peak (backend/gemm_peak.h): FLOPs per second from the
// fastest timing of back-to-back products, and a label that names the math mode the GPU peak
// was measured in (a bf16 run held against the bf16 rate, labelled bf16).
#include "backend/gemm_peak.h"

#include <gtest/gtest.h>

#include "backend/backend.h"
#include "backend/blas_reference.h"

namespace gram {
namespace {

TEST(GemmPeak, FlopsFromTheFastestTimingOfBackToBackProducts) {
  backend::GemmTiming timing{8192, 10, {0.030, 0.025, 0.027}};
  // 10 products x 2 x 8192^3 FLOPs in 25 ms: 4.398e14 FLOP/s.
  EXPECT_DOUBLE_EQ(backend::best_flops_per_s(timing), 10.0 * 2.0 * 8192.0 * 8192.0 * 8192.0 / 0.025);
  EXPECT_NEAR(backend::best_flops_per_s(timing) / 1e12, 439.8, 0.05);
  timing = {1024, 1, {0.5}};
  EXPECT_DOUBLE_EQ(backend::best_flops_per_s(timing), 2.0 * 1024.0 * 1024.0 * 1024.0 / 0.5);
}

TEST(GemmPeak, GpuLabelNamesTheMathModeAndTheTiming) {
  const backend::GemmTiming timing{8192, 10, {0.01, 0.02, 0.03}};
  for (auto math : {backend::CudaMath::kFp32, backend::CudaMath::kTf32, backend::CudaMath::kBf16}) {
    const std::string label = backend::gpu_peak_label(
        backend::to_string(math), backend::describe_cuda_math(math), timing, "cuda Test GPU");
    EXPECT_EQ(label.find("measured: cuBLAS " + backend::to_string(math) + " ("), 0u) << label;
    EXPECT_NE(label.find("best of 3 timings of 10 back-to-back 8192^3 products between CUDA "
                         "events (cuda Test GPU)"),
              std::string::npos)
        << label;
  }
  EXPECT_EQ(backend::gpu_peak_label("tf32", backend::describe_cuda_math(backend::CudaMath::kTf32),
                                    timing, "d"),
            "measured: cuBLAS tf32 (CUBLAS_COMPUTE_32F_FAST_TF32: TF32 tensor-core inputs, fp32 "
            "accumulation): best of 3 timings of 10 back-to-back 8192^3 products between CUDA "
            "events (d)");
  EXPECT_EQ(backend::describe_cuda_math(backend::CudaMath::kBf16),
            "bf16 operands (weights converted at load), CUBLAS_COMPUTE_32F accumulation");
}

// On the CPU the peak is OpenBLAS's rate at the requested size, with the engine's GEMM beside
// it; a build without OpenBLAS says the engine's GEMM is its own reference.
TEST(GemmPeak, CpuPeakIsOpenBlasBesideTheEnginesGemm) {
  auto cpu = backend::make_cpu_backend(1);
  EXPECT_EQ(backend::peak_product_size(*cpu, 256), 256);
  EXPECT_EQ(cpu->gemm_math(), "fp32");
  const backend::GemmPeak peak = backend::measure_gemm_peak(*cpu, 1, 128, 1);
  EXPECT_GT(peak.flops_per_s, 0.0);
  EXPECT_GT(peak.engine_flops_per_s, 0.0);
  const std::string expected = backend::blas_reference_available()
                                   ? "measured: best of 1 OpenBLAS SGEMMs 128^3 ("
                                   : "measured: best of 1 of the engine's fixed-order GEMMs 128^3";
  EXPECT_EQ(peak.source.rfind(expected, 0), 0u) << peak.source;
}

}  // namespace
}  // namespace gram
