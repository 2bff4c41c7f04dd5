#pragma once
// MPI_CHECK(call): runs an MPI call and, when it fails, throws gram::Error naming the call, the
// MPI error text, file:line, the rank and the host. Never compiled away. The communicator sets
// MPI_ERRORS_RETURN on its communicators so that errors come back here instead of MPI's default
// handler ending the job without saying where.
#include <mpi.h>

namespace gram::dist {

[[noreturn]] void throw_mpi_error(int code, const char* call, const char* file, int line);

}  // namespace gram::dist

#define MPI_CHECK(call)                                                   \
  do {                                                                    \
    const int gram_mpi_status_ = (call);                                  \
    if (gram_mpi_status_ != MPI_SUCCESS) {                                \
      ::gram::dist::throw_mpi_error(gram_mpi_status_, #call, __FILE__, __LINE__); \
    }                                                                     \
  } while (0)
