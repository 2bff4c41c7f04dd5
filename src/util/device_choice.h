#pragma once
// Which GPU a rank uses: one rule for the CUDA backend and the NCCL communicator, so that the two
// can never open different devices.
//
// A rank takes its local rank (its place among the ranks on its host) modulo the devices it can
// see. CUDA_VISIBLE_DEVICES decides what is visible (the CUDA runtime applies it before we count):
// under Slurm's --gpus-per-task=1 every rank sees one device and takes its device 0; under mpirun
// on a node of four GPUs, local ranks 0-3 take devices 0-3. The local rank comes from the
// communicator when the caller has one (MPI's shared-memory split), otherwise from the launcher's
// environment (OMPI_COMM_WORLD_LOCAL_RANK for mpirun, SLURM_LOCALID for srun), otherwise 0.
//
//   const DeviceChoice choice = choose_device(visible_count, local_rank_from_environment());
//   cudaSetDevice(choice.device);  // and describe(choice) in the backend's description
#include <string>

namespace gram {

struct LocalRank {
  int value = 0;
  std::string source = "default";  // "communicator", the variable it was read from, or "default"
};

// OMPI_COMM_WORLD_LOCAL_RANK, else SLURM_LOCALID, else 0 ("default"). The one place these are
// read for device selection.
LocalRank local_rank_from_environment();
// A communicator's local rank when it knows one (>= 0), else the environment's.
LocalRank local_rank_or_environment(int communicator_local_rank);

struct DeviceChoice {
  int device = 0;       // index among the visible devices
  int visible = 0;      // devices this process can see
  LocalRank local_rank;
  std::string visible_devices;  // CUDA_VISIBLE_DEVICES as set; empty when unset
};

// local_rank mod visible. Throws gram::Error when no device is visible.
DeviceChoice choose_device(int visible, const LocalRank& local_rank);

// "device 1 of 4 visible, local rank 5 from SLURM_LOCALID, CUDA_VISIBLE_DEVICES=0,1,2,3"
std::string describe(const DeviceChoice& choice);

}  // namespace gram
