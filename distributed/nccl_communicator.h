#pragma once
// NCCL as a Communicator: gather to rank 0, broadcast, barrier and abort over device buffers on
// the rank's GPU, on a stream of its own; each collective is followed by an event that the host
// polls. Every wait (the non-blocking ncclCommInitRankConfig and each collective) has a
// deadline (deadline.h) and checks ncclCommGetAsyncError while it waits: a peer that died or
// hangs makes this rank abort the communicator (ncclCommAbort, never ncclCommDestroy after a
// failure) and throw one gram::Error naming the rank, instead of blocking forever.
//
// Compiled only with GRAM_NCCL (and GRAM_CUDA); nccl_unavailable.cpp stands in otherwise. The
// NCCL and CUDA types stay in nccl_communicator.cpp: nothing outside distributed/ includes
// them, and this header builds without CUDA.
#include <functional>
#include <memory>
#include <string>

#include "distributed/communicator.h"

namespace gram::dist {

struct NcclSetup {
  int rank = 0;
  int size = 1;
  int local_rank = 0;  // picks the device (util/device_choice.h)
  std::string local_rank_source = "communicator";
  std::string host;
  // Called on every rank with rank 0's ncclUniqueId bytes (empty elsewhere); returns rank 0's.
  std::function<std::string(const std::string&)> exchange_id;
  // Called on rank 0 once every rank has joined (the file bootstrap removes its file).
  std::function<void()> joined;
  // The launch communicator when there is one: its abort ends every rank of the job.
  Communicator* launch = nullptr;
  double timeout_seconds = 1800.0;
};

// Throws gram::Error when the build has no NCCL, no device is visible, or the communicator
// cannot be formed within the deadline.
std::unique_ptr<Communicator> make_nccl_communicator(NcclSetup setup);

// For srun without an MPI plugin, in a build without MPI: rank, size and local rank from
// Slurm's environment, the id through a shared file (nccl_bootstrap.h).
std::unique_ptr<Communicator> make_file_bootstrapped_communicator();

}  // namespace gram::dist
