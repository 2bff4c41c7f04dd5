// The NCCL communicator (nccl_communicator.h), built only with GRAM_NCCL and GRAM_CUDA as the
// plugin libgram_nccl.so (src/util/plugin.h), which nccl_plugin.cpp opens when a job forms an
// NCCL communicator, so that no other run loads NCCL and the CUDA runtime; with
// mpi_communicator.cpp the only code that names a communication library.
//
// The bytes of each collective travel through device buffers owned here, on a stream of this
// communicator, so that its work never waits behind the backend's and vice versa. Each
// collective ends with an event; the host polls the event, ncclCommGetAsyncError and the
// deadline together, and copies results back only after the event, so that a device-to-host
// copy can never block behind a stuck collective. The communicator is non-blocking
// (ncclConfig_t::blocking = 0): any NCCL call may return ncclInProgress, and settle() waits
// that out under the same deadline.
#include "distributed/nccl_communicator.h"

#include <cuda_runtime_api.h>
#include <nccl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "distributed/deadline.h"
#include "distributed/gather_layout.h"
#include "util/device_choice.h"
#include "util/error.h"

// NCCL_CHECK / CUDA_RUNTIME_CHECK, for member functions of NcclCommunicator: name the call,
// file:line, rank and host, abort the communicator and throw. Never compiled away.
#define NCCL_CHECK(call) settle((call), #call, __FILE__, __LINE__)
#define CUDA_RUNTIME_CHECK(call)                                                    \
  do {                                                                              \
    const cudaError_t gram_cuda_status_ = (call);                                   \
    if (gram_cuda_status_ != cudaSuccess) {                                         \
      fail(std::string(#call) + " failed: " + cudaGetErrorString(gram_cuda_status_) + \
           " (" + __FILE__ + ":" + std::to_string(__LINE__) + ")");                 \
    }                                                                               \
  } while (0)

namespace gram::dist {
namespace {

// A device buffer that grows and is never shrunk (gathers of one run are of similar size).
struct DeviceBuffer {
  char* data = nullptr;
  std::size_t size = 0;
};

class NcclCommunicator final : public Communicator {
 public:
  explicit NcclCommunicator(NcclSetup setup)
      : setup_(std::move(setup)),
        identity_(rank_identity(setup_.rank, setup_.size, setup_.host)) {
    int visible = 0;
    CUDA_RUNTIME_CHECK(cudaGetDeviceCount(&visible));
    device_ = choose_device(visible, {setup_.local_rank, setup_.local_rank_source});
    CUDA_RUNTIME_CHECK(cudaSetDevice(device_.device));
    CUDA_RUNTIME_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    CUDA_RUNTIME_CHECK(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming));
    CUDA_RUNTIME_CHECK(cudaMalloc(&small_, small_bytes(setup_.size)));
    CUDA_RUNTIME_CHECK(cudaMemsetAsync(small_, 0, small_bytes(setup_.size), stream_));

    ncclUniqueId id;
    std::memset(&id, 0, sizeof(id));
    std::string mine;
    if (setup_.rank == 0) {
      NCCL_CHECK(ncclGetUniqueId(&id));
      mine.assign(reinterpret_cast<const char*>(&id), sizeof(id));
    }
    const std::string shared = setup_.exchange_id(mine);
    if (shared.size() != sizeof(id)) {
      fail("NCCL bootstrap: received " + std::to_string(shared.size()) + " bytes of id, not " +
           std::to_string(sizeof(id)));
    }
    std::memcpy(&id, shared.data(), sizeof(id));
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    NCCL_CHECK(ncclCommInitRankConfig(&comm_, setup_.size, id, setup_.rank, &config));
    // Init has completed on every rank only after a collective: rank 0 may then remove the file.
    barrier();
    if (setup_.rank == 0 && setup_.joined) setup_.joined();
  }

  ~NcclCommunicator() override {
    if (comm_ != nullptr) {
      // A healthy communicator is finalised (flushing what is queued), then destroyed; one that
      // failed was already aborted in fail(). The destructor must not throw: no fail() here.
      ncclResult_t state = ncclCommFinalize(comm_);
      if (state == ncclInProgress) {
        poll_until(
            [&] {
              if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess) state = ncclInternalError;
              return state != ncclInProgress;
            },
            10.0);
      }
      if (state == ncclSuccess) {
        ncclCommDestroy(comm_);
      } else {
        ncclCommAbort(comm_);
      }
    }
    if (small_ != nullptr) cudaFree(small_);
    if (buffer_.data != nullptr) cudaFree(buffer_.data);
    if (done_ != nullptr) cudaEventDestroy(done_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return setup_.rank; }
  int size() const override { return setup_.size; }
  int local_rank() const override { return setup_.local_rank; }
  const std::string& host() const override { return setup_.host; }
  std::string kind() const override { return "nccl"; }

  std::vector<std::string> gather(const std::string& bytes) override {
    const GatherLayout layout = gather_layout(all_gather_sizes(bytes.size()));
    const bool root = setup_.rank == 0;
    char* device = device_bytes(root ? layout.total : bytes.size());  // (total) or (mine)
    upload(device, bytes);
    NCCL_CHECK(ncclGroupStart());
    for (int peer = 1; root && peer < setup_.size; ++peer) {
      if (layout.sizes[peer] == 0) continue;
      NCCL_CHECK(ncclRecv(device + layout.offsets[peer], layout.sizes[peer], ncclUint8, peer,
                          comm_, stream_));
    }
    if (!root && !bytes.empty()) {
      NCCL_CHECK(ncclSend(device, bytes.size(), ncclUint8, 0, comm_, stream_));
    }
    NCCL_CHECK(ncclGroupEnd());
    wait("NCCL gather");
    if (!root) return {};
    return unpack_gathered(download(device, layout.total), layout);
  }

  std::string broadcast(const std::string& bytes) override {
    const bool root = setup_.rank == 0;
    unsigned char encoded[8];
    encode_size(bytes.size(), encoded);
    if (root) CUDA_RUNTIME_CHECK(cudaMemcpyAsync(small_, encoded, 8, cudaMemcpyHostToDevice, stream_));
    NCCL_CHECK(ncclBroadcast(small_, small_, 8, ncclUint8, 0, comm_, stream_));
    wait("NCCL broadcast of the length");
    const std::string length = download(small_, 8);
    const std::uint64_t size = decode_size(reinterpret_cast<const unsigned char*>(length.data()));
    if (size == 0) return {};
    char* device = device_bytes(size);
    if (root) upload(device, bytes);
    NCCL_CHECK(ncclBroadcast(device, device, size, ncclUint8, 0, comm_, stream_));
    wait("NCCL broadcast");
    return root ? bytes : download(device, size);
  }

  void barrier() override {
    // An all-reduce of one word: it completes on a rank only once every rank has joined it.
    NCCL_CHECK(ncclAllReduce(small_, small_, 1, ncclInt32, ncclSum, comm_, stream_));
    wait("NCCL barrier");
  }

  [[noreturn]] void abort(int status) override {
    if (comm_ != nullptr) ncclCommAbort(comm_);
    comm_ = nullptr;
    if (setup_.launch != nullptr) setup_.launch->abort(status);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(status);
  }

 private:
  // The length all-gather's slots and the barrier's word.
  static std::size_t small_bytes(int size) { return 8 * static_cast<std::size_t>(size); }

  std::vector<std::uint64_t> all_gather_sizes(std::uint64_t mine) {
    unsigned char encoded[8];
    encode_size(mine, encoded);
    char* slot = small_ + 8 * static_cast<std::size_t>(setup_.rank);  // in place: rank r's 8
    CUDA_RUNTIME_CHECK(cudaMemcpyAsync(slot, encoded, 8, cudaMemcpyHostToDevice, stream_));
    NCCL_CHECK(ncclAllGather(slot, small_, 8, ncclUint8, comm_, stream_));
    wait("NCCL all-gather of the lengths");
    const std::string all = download(small_, small_bytes(setup_.size));
    std::vector<std::uint64_t> sizes(setup_.size);
    for (int rank = 0; rank < setup_.size; ++rank) {
      sizes[rank] = decode_size(reinterpret_cast<const unsigned char*>(all.data()) + 8 * rank);
    }
    return sizes;
  }

  char* device_bytes(std::size_t bytes) {
    if (bytes > buffer_.size) {
      wait("NCCL buffer release");  // nothing queued may still read the old buffer
      if (buffer_.data != nullptr) CUDA_RUNTIME_CHECK(cudaFree(buffer_.data));
      buffer_ = {};
      CUDA_RUNTIME_CHECK(cudaMalloc(&buffer_.data, bytes));
      buffer_.size = bytes;
    }
    return buffer_.data;
  }

  void upload(char* device, const std::string& bytes) {
    if (bytes.empty()) return;
    CUDA_RUNTIME_CHECK(
        cudaMemcpyAsync(device, bytes.data(), bytes.size(), cudaMemcpyHostToDevice, stream_));
  }
  // Only after wait(): the stream is idle, so this copy cannot block behind a collective.
  std::string download(const char* device, std::size_t bytes) {
    std::string host(bytes, '\0');
    if (bytes == 0) return host;
    CUDA_RUNTIME_CHECK(cudaMemcpyAsync(host.data(), device, bytes, cudaMemcpyDeviceToHost, stream_));
    wait("copy to the host");
    return host;
  }

  // Waits for everything queued on the stream, checking NCCL's asynchronous error meanwhile.
  void wait(const char* what) {
    CUDA_RUNTIME_CHECK(cudaEventRecord(done_, stream_));
    const bool finished = poll_until(
        [&] {
          const cudaError_t status = cudaEventQuery(done_);
          if (status == cudaSuccess) return true;
          if (status != cudaErrorNotReady) CUDA_RUNTIME_CHECK(status);
          async_state(what);
          return false;
        },
        setup_.timeout_seconds);
    if (!finished) fail(deadline_message(what, setup_.timeout_seconds, identity_));
  }

  // ncclSuccess or ncclInProgress; any other state of the communicator fails.
  ncclResult_t async_state(const std::string& what) {
    ncclResult_t state = ncclSuccess;
    const ncclResult_t query = ncclCommGetAsyncError(comm_, &state);
    if (query != ncclSuccess) state = query;
    if (state != ncclSuccess && state != ncclInProgress) {
      fail(what + " failed: " + ncclGetErrorString(state));
    }
    return state;
  }

  // The result of an NCCL call; ncclInProgress is waited out under the deadline.
  void settle(ncclResult_t result, const char* call, const char* file, int line) {
    const std::string where = std::string(call) + " (" + file + ":" + std::to_string(line) + ")";
    if (result != ncclSuccess && result != ncclInProgress) {
      fail(where + " failed: " + ncclGetErrorString(result));
    }
    if (result == ncclSuccess || comm_ == nullptr) return;
    const bool settled =
        poll_until([&] { return async_state(where) != ncclInProgress; }, setup_.timeout_seconds);
    if (!settled) fail(deadline_message(where, setup_.timeout_seconds, identity_));
  }

  // Aborts the communicator (never destroys it after a failure: ncclCommDestroy would wait for
  // the stuck peers) and throws one error naming this rank.
  [[noreturn]] void fail(const std::string& message) {
    if (comm_ != nullptr) ncclCommAbort(comm_);
    comm_ = nullptr;
    throw Error(message.find(identity_) == std::string::npos ? message + " (" + identity_ + ")"
                                                              : message);
  }

  NcclSetup setup_;
  std::string identity_;
  DeviceChoice device_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t done_ = nullptr;
  char* small_ = nullptr;  // (8 x size) bytes
  DeviceBuffer buffer_;
};

}  // namespace

}  // namespace gram::dist

// The plugin's entry point (util/plugin.h), called by make_nccl_communicator in
// nccl_plugin.cpp: a communicator the caller owns, or a thrown gram::Error.
extern "C" __attribute__((visibility("default")))
gram::dist::Communicator* gram_nccl_communicator(gram::dist::NcclSetup* setup) {
  return new gram::dist::NcclCommunicator(std::move(*setup));
}
