// Which communicator a process gets, decided from the launcher's environment.
#include <cstdlib>
#include <string>

#include "distributed/communicator.h"
#include "distributed/nccl_communicator.h"
#include "util/error.h"

namespace gram::dist {
namespace {

// The variable as a whole number, or -1 when unset or not a number.
int environment_int(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return -1;
  char* end = nullptr;
  const long number = std::strtol(value, &end, 10);
  return (*end == '\0' && number >= 0) ? static_cast<int>(number) : -1;
}

}  // namespace

Launch detect_launch() {
  Launch launch;
  if (const int size = environment_int("OMPI_COMM_WORLD_SIZE"); size >= 0) {
    launch = {"mpirun", size, true};
  } else if (const int pmi_size = environment_int("PMI_SIZE"); pmi_size >= 0) {
    launch = {"pmi", pmi_size, true};
  } else if (std::getenv("PMIX_RANK") != nullptr) {
    // PMIx names no world size in the environment; under srun, SLURM_NTASKS does.
    launch = {"pmix", std::max(0, environment_int("SLURM_NTASKS")), true};
  } else if (environment_int("SLURM_PROCID") >= 0 && environment_int("SLURM_NTASKS") > 1) {
    // srun with several tasks but no MPI plugin (--mpi=none): without MPI every task would run
    // the whole job, so this asks for MPI and make_communicator() explains what went wrong.
    launch = {"slurm", environment_int("SLURM_NTASKS"), true};
  }
  return launch;
}

std::unique_ptr<Communicator> make_communicator(int* argc, char*** argv) {
  const Launch launch = detect_launch();
  if (!launch.wants_mpi) return make_single_process_communicator();
  if (!mpi_available()) {
    if (launch.expected_size <= 1) return make_single_process_communicator();
    // srun without an MPI plugin: a GPU build without MPI forms its ranks with NCCL alone.
    if (launch.launcher == "slurm" && nccl_available()) {
      return make_file_bootstrapped_communicator();
    }
    throw Error("started by " + launch.launcher + " as one of " +
                std::to_string(launch.expected_size) +
                " ranks, but this build has no MPI (configure with -DGRAM_MPI=ON" +
                (launch.launcher == "slurm" ? std::string(", or -DGRAM_NCCL=ON for GPUs") : "") +
                "); every rank would run the whole job");
  }
  auto communicator = make_mpi_communicator(argc, argv);
  if (launch.expected_size > 0 && communicator->size() != launch.expected_size) {
    const int size = communicator->size();
    throw Error(launch.launcher + " started " + std::to_string(launch.expected_size) +
                " tasks but MPI sees " + std::to_string(size) +
                " rank(s); under Slurm launch with `srun --mpi=pmix` (docs/distributed.md)");
  }
  return communicator;
}

}  // namespace gram::dist
