// make_mpi_communicator in a build with GRAM_MPI (CMake compiles this file only then; without
// it, mpi_unavailable.cpp). The communicator lives in the MPI plugin, libgram_mpi.so
// (mpi_communicator.cpp, src/util/plugin.h), so that only a process started by an MPI launcher
// loads Open MPI; a plain `gram` command never does.
#include "distributed/communicator.h"
#include "util/plugin.h"

namespace gram::dist {

bool mpi_available() { return true; }

std::unique_ptr<Communicator> make_mpi_communicator(int* argc, char*** argv) {
  using Entry = Communicator* (*)(int*, char***);
  // Global: Open MPI's own components, opened by MPI_Init, look for libmpi's symbols there.
  const auto entry =
      reinterpret_cast<Entry>(plugin_symbol("mpi", "gram_mpi_communicator", true));
  return std::unique_ptr<Communicator>(entry(argc, argv));
}

}  // namespace gram::dist
