#include "cuda_check.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "util/error.h"

namespace gram::kernels {
namespace {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown host";
  return name;
}

std::string describe(const char* call, const char* file, int line, const std::string& what) {
  return std::string(call) + " failed at " + file + ":" + std::to_string(line) + " on " +
         host_name() + ": " + what;
}

}  // namespace

void cuda_failure(cudaError_t status, const char* call, const char* file, int line) {
  throw Error(describe(call, file, line,
                       std::string(cudaGetErrorName(status)) + " (" +
                           cudaGetErrorString(status) + ")"));
}

void cublas_failure(cublasStatus_t status, const char* call, const char* file, int line) {
  throw Error(describe(call, file, line,
                       std::string(cublasGetStatusName(status)) + " (" +
                           cublasGetStatusString(status) + ")"));
}

void cuda_warning(cudaError_t status, const char* call, const char* file, int line) {
  const std::string message = describe(call, file, line,
                                       std::string(cudaGetErrorName(status)) + " (" +
                                           cudaGetErrorString(status) + ")");
  std::fprintf(stderr, "gram: warning: %s\n", message.c_str());
}

}  // namespace gram::kernels
