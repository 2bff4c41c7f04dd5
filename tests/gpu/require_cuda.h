#pragma once
// The CUDA backend for a test of tests/gpu, or a skip with the reason where there is none: no
// usable device here, or a build without GRAM_CUDA. Any other failure to start the backend (a
// device that exists but cannot run this build) is a real failure and propagates.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "backend/backend.h"
#include "util/error.h"

namespace gram::testing {

inline std::unique_ptr<backend::Backend> cuda_or_reason(backend::CudaMath math,
                                                        std::string& reason) {
  backend::CudaOptions options;
  options.math = math;
  try {
    return backend::make_cuda_backend(options);
  } catch (const Error& error) {
    const std::string message = error.what();
    if (message.find("no usable CUDA device") != std::string::npos ||
        message.find("this build has no CUDA backend") != std::string::npos) {
      reason = message;
      return nullptr;
    }
    throw;
  }
}

}  // namespace gram::testing

#define REQUIRE_CUDA(backend_variable, math)                                        \
  std::string skip_reason;                                                         \
  auto backend_variable = ::gram::testing::cuda_or_reason((math), skip_reason);    \
  if (!(backend_variable)) GTEST_SKIP() << skip_reason
