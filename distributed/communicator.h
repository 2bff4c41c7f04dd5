#pragma once
// The communicator the engine sees: who this process is among the ranks of a job, and the few
// collectives the engine needs (byte strings gathered to rank 0, broadcast from rank 0, a
// barrier, and an abort that ends every rank).
//
// Engine and CLI code are written once against this interface and never name MPI or NCCL: a
// plain `gram run` gets the single-process communicator (rank 0 of 1, every collective a copy),
// a process started by mpirun or srun gets the MPI one, and a job on the CUDA backend moves its
// results over NCCL (make_device_communicator). make_communicator() decides from the launcher's
// environment; the MPI implementation is compiled only with GRAM_MPI, NCCL only with GRAM_NCCL,
// and a build that can carry neither refuses a multi-rank launch instead of running every rank
// as a full copy.
//
//   auto communicator = gram::dist::make_communicator(&argc, &argv);
//   std::vector<std::string> parts = communicator->gather(my_bytes);  // rank 0: one per rank
#include <memory>
#include <string>
#include <vector>

namespace gram::dist {

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;        // 0..size()-1
  virtual int size() const = 0;        // the world size
  virtual int local_rank() const = 0;  // rank among the processes on this host
  virtual const std::string& host() const = 0;
  virtual std::string kind() const = 0;  // "single", "mpi" or "nccl", for the context block

  // Every rank's `bytes`, in rank order, on rank 0; an empty list on the other ranks.
  virtual std::vector<std::string> gather(const std::string& bytes) = 0;
  // Rank 0's `bytes` on every rank (the argument is ignored on the others).
  virtual std::string broadcast(const std::string& bytes) = 0;
  virtual void barrier() = 0;
  // Ends every rank of the job with `status`; never returns.
  [[noreturn]] virtual void abort(int status) = 0;
};

// How this process was launched, from the launcher's environment (mpirun: OMPI_COMM_WORLD_*;
// MPICH/Hydra and srun --mpi=pmi2: PMI_*; srun --mpi=pmix: PMIX_RANK with SLURM_*).
struct Launch {
  std::string launcher = "none";  // or "mpirun", "pmi", "pmix", "slurm"
  int expected_size = 1;          // ranks the launcher started; 0 when it does not say
  bool wants_mpi = false;         // started by an MPI launcher, or by srun with several tasks
};
Launch detect_launch();

// The communicator for this process: MPI when detect_launch() says an MPI launcher started it,
// the single-process one otherwise. MPI is initialised here and finalised when the returned
// object is destroyed. srun without an MPI plugin, in a build without MPI but with NCCL, gets
// the NCCL communicator bootstrapped through a shared file (nccl_bootstrap.h). Throws
// gram::Error when a multi-rank launch meets a build that cannot carry it, or when MPI's world
// size disagrees with the launcher's (srun without --mpi=pmix).
std::unique_ptr<Communicator> make_communicator(int* argc, char*** argv);

// The data plane of a job on the CUDA backend: an NCCL communicator over device buffers on the
// rank's GPU (util/device_choice.h, the backend's rule), bootstrapped through `launch` (its
// broadcast carries the NCCL id) and reporting `launch`'s rank, host and local rank. Null when
// the build has no NCCL; then `launch` carries the results itself. Every rank calls it at the
// same point.
std::unique_ptr<Communicator> make_device_communicator(Communicator& launch);

std::unique_ptr<Communicator> make_single_process_communicator();
// Defined in mpi_communicator.cpp (GRAM_MPI) or mpi_unavailable.cpp, which throws.
std::unique_ptr<Communicator> make_mpi_communicator(int* argc, char*** argv);
bool mpi_available();
// Defined in nccl_communicator.cpp (GRAM_NCCL) or nccl_unavailable.cpp.
bool nccl_available();

}  // namespace gram::dist
