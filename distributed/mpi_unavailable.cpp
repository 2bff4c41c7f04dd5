// make_mpi_communicator in a build without GRAM_MPI: CMake compiles this file instead of
// mpi_communicator.cpp, so no code tests for MPI with the preprocessor.
#include "distributed/communicator.h"
#include "util/error.h"

namespace gram::dist {

bool mpi_available() { return false; }

std::unique_ptr<Communicator> make_mpi_communicator(int*, char***) {
  throw Error("this build has no MPI communicator (configure with -DGRAM_MPI=ON)");
}

}  // namespace gram::dist
