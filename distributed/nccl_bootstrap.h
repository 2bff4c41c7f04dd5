#pragma once
// Bootstrapping NCCL: every rank must receive the ncclUniqueId that rank 0 draws before any of
// them can join the communicator. Over MPI the launch communicator broadcasts it; a job started
// without MPI (srun --mpi=none of a build without MPI: the GPU machine has no MPI) exchanges it
// through a file on a file system all ranks share:
//
//   rank 0   writes PATH.tmp-<pid>, then renames it to PATH (readers never see half a file)
//   others   read PATH until it holds this launch's token and world size, or the deadline ends
//   rank 0   removes PATH once every rank has joined the communicator
//
// The token tells this launch's file from one an earlier job left behind (a killed job cannot
// clean up): under Slurm it is "<job id>.<step id>.<restart count>". Host code only: the id is
// bytes here, so the exchange is tested without NCCL or a GPU.
#include <string>

namespace gram::dist {

struct FileBootstrap {
  std::string path;
  std::string token;
  int rank = 0;
  int size = 1;
  double timeout_seconds = 1800.0;
};

// For a job srun started without an MPI plugin: rank and size from SLURM_PROCID and
// SLURM_NTASKS, the token from SLURM_JOB_ID, SLURM_STEP_ID and SLURM_RESTART_COUNT, the path
// from GRAM_NCCL_ID_FILE, else SLURM_SUBMIT_DIR/.gram-nccl-<token>.id (the directory sbatch was
// called from, which every node of a cluster shares); the timeout from GRAM_NCCL_TIMEOUT.
// Throws gram::Error outside such a job.
FileBootstrap file_bootstrap_from_environment();

// Rank 0 publishes `root_id`; every rank returns rank 0's id. Past the deadline a rank throws
// one gram::Error naming itself, the file and what it found there.
std::string exchange_id_over_file(const FileBootstrap& bootstrap, const std::string& root_id);

// Rank 0, after every rank has joined: the file has served its purpose.
void remove_bootstrap_file(const FileBootstrap& bootstrap);

}  // namespace gram::dist
