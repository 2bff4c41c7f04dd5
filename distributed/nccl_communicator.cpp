// NCCL over MPI bootstrap. Compiled only with GRAM_NCCL and GRAM_CUDA (see CMakeLists.txt);
// the machine this engine is developed on has NCCL headers but no GPU, so this file is compiled
// there and exercised only on GPU machines.
#include "distributed/nccl_communicator.h"

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "util/error.h"

namespace gram::dist {
namespace {

[[noreturn]] void throw_located(const std::string& what, const char* call, const char* file,
                                int line, const Communicator& host) {
  throw Error(std::string(call) + " failed: " + what + " (" + file + ":" + std::to_string(line) +
              ", rank " + std::to_string(host.rank()) + " on " + host.host() + ")");
}

}  // namespace

}  // namespace gram::dist

// NCCL_CHECK / CUDA_RUNTIME_CHECK: name the call, file:line, rank and host; never compiled away.
#define NCCL_CHECK(call)                                                              \
  do {                                                                                \
    const ncclResult_t gram_nccl_status_ = (call);                                   \
    if (gram_nccl_status_ != ncclSuccess && gram_nccl_status_ != ncclInProgress) {    \
      ::gram::dist::throw_located(ncclGetErrorString(gram_nccl_status_), #call,       \
                                  __FILE__, __LINE__, host_);                        \
    }                                                                                 \
  } while (0)
#define CUDA_RUNTIME_CHECK(call)                                                      \
  do {                                                                                \
    const cudaError_t gram_cuda_status_ = (call);                                    \
    if (gram_cuda_status_ != cudaSuccess) {                                           \
      ::gram::dist::throw_located(cudaGetErrorString(gram_cuda_status_), #call,       \
                                  __FILE__, __LINE__, host_);                        \
    }                                                                                 \
  } while (0)

namespace gram::dist {

struct NcclCommunicator::State {
  ncclComm_t comm = nullptr;
};

NcclCommunicator::NcclCommunicator(Communicator& host)
    : host_(host), state_(std::make_unique<State>()) {
  int devices = 0;
  CUDA_RUNTIME_CHECK(cudaGetDeviceCount(&devices));
  if (devices == 0) throw Error("NCCL communicator: no visible CUDA device on " + host_.host());
  device_ = host_.local_rank() % devices;
  CUDA_RUNTIME_CHECK(cudaSetDevice(device_));

  ncclUniqueId id;
  std::memset(&id, 0, sizeof(id));
  if (host_.rank() == 0) NCCL_CHECK(ncclGetUniqueId(&id));
  const std::string shared =
      host_.broadcast(std::string(reinterpret_cast<const char*>(&id), sizeof(id)));
  GRAM_ASSERT(shared.size() == sizeof(id), "NCCL unique id of the wrong size");
  std::memcpy(&id, shared.data(), sizeof(id));
  NCCL_CHECK(ncclCommInitRank(&state_->comm, host_.size(), id, host_.rank()));
}

NcclCommunicator::~NcclCommunicator() {
  if (state_->comm != nullptr) ncclCommDestroy(state_->comm);
}

void NcclCommunicator::all_reduce_sum(float* data, std::size_t count, Stream stream) {
  NCCL_CHECK(ncclAllReduce(data, data, count, ncclFloat32, ncclSum, state_->comm, stream));
}

void NcclCommunicator::broadcast(void* data, std::size_t bytes, int root, Stream stream) {
  NCCL_CHECK(ncclBroadcast(data, data, bytes, ncclUint8, root, state_->comm, stream));
}

void NcclCommunicator::all_gather(const void* send, void* receive, std::size_t bytes_per_rank,
                                  Stream stream) {
  NCCL_CHECK(ncclAllGather(send, receive, bytes_per_rank, ncclUint8, state_->comm, stream));
}

void NcclCommunicator::synchronize(Stream stream) {
  // cudaStreamSynchronize would block forever on a collective whose peer died; poll instead,
  // and abort the communicator (which also frees the stuck kernels) on an asynchronous error.
  while (true) {
    const cudaError_t status = cudaStreamQuery(stream);
    if (status == cudaSuccess) return;
    if (status != cudaErrorNotReady) CUDA_RUNTIME_CHECK(status);
    ncclResult_t async = ncclSuccess;
    NCCL_CHECK(ncclCommGetAsyncError(state_->comm, &async));
    if (async != ncclSuccess && async != ncclInProgress) {
      ncclCommAbort(state_->comm);
      state_->comm = nullptr;
      throw_located(ncclGetErrorString(async), "ncclCommGetAsyncError", __FILE__, __LINE__,
                    host_);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

}  // namespace gram::dist
