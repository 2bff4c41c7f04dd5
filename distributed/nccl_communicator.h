#pragma once
// Collectives on device buffers (NCCL), bootstrapped through the host communicator.
//
// The engine's distributed runs need none of this: ranks split work by (puzzle, trajectory)
// and exchange only finished results, on the host. It is the seam for work that splits one
// step across GPUs (tensor or sequence parallel forward passes). Compiled only when the build
// has GRAM_NCCL and GRAM_CUDA; nothing outside distributed/ includes this header yet.
//
// Construction picks this rank's device as local rank modulo the visible devices, lets rank 0
// draw the NCCL unique id and broadcasts it with the host communicator (MPI_Bcast under MPI),
// then calls ncclCommInitRank. Every wait polls ncclCommGetAsyncError, so a peer that fails or
// dies makes this rank abort its communicator and throw gram::Error instead of hanging.
#include <cstddef>
#include <memory>

#include "distributed/communicator.h"

struct CUstream_st;  // cudaStream_t without including the CUDA headers here

namespace gram::dist {

class NcclCommunicator {
 public:
  using Stream = CUstream_st*;

  explicit NcclCommunicator(Communicator& host);
  ~NcclCommunicator();
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int device() const { return device_; }

  // In place: every rank ends with the element-wise sum. `data` (count) on this rank's device.
  void all_reduce_sum(float* data, std::size_t count, Stream stream);
  // `bytes` from `root`'s buffer into every rank's.
  void broadcast(void* data, std::size_t bytes, int root, Stream stream);
  // Rank r's `bytes_per_rank` land at receive + r * bytes_per_rank on every rank.
  void all_gather(const void* send, void* receive, std::size_t bytes_per_rank, Stream stream);
  // Waits for `stream`, checking the communicator's asynchronous error while it waits.
  void synchronize(Stream stream);

 private:
  struct State;
  Communicator& host_;
  int device_ = 0;
  std::unique_ptr<State> state_;
};

}  // namespace gram::dist
