// The NCCL factories of a build without GRAM_NCCL: CMake compiles this file instead of
// nccl_communicator.cpp, so no code tests for NCCL with the preprocessor. A job on the CUDA
// backend then gathers its results over the launch communicator (MPI), on the host.
#include "distributed/communicator.h"
#include "distributed/nccl_communicator.h"
#include "util/error.h"

namespace gram::dist {

bool nccl_available() { return false; }

std::unique_ptr<Communicator> make_device_communicator(Communicator&) { return nullptr; }

std::unique_ptr<Communicator> make_nccl_communicator(NcclSetup) {
  throw Error("this build has no NCCL communicator (configure with -DGRAM_NCCL=ON where NCCL "
              "is installed)");
}

std::unique_ptr<Communicator> make_file_bootstrapped_communicator() {
  return make_nccl_communicator({});
}

}  // namespace gram::dist
