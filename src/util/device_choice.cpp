#include "util/device_choice.h"

#include <cstdlib>

#include "util/error.h"

namespace gram {
namespace {

// The variable as a non-negative whole number, or -1 when unset or not one.
int environment_index(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return -1;
  char* end = nullptr;
  const long number = std::strtol(value, &end, 10);
  return (*end == '\0' && number >= 0 && number < (1 << 30)) ? static_cast<int>(number) : -1;
}

}  // namespace

LocalRank local_rank_from_environment() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"}) {
    if (const int value = environment_index(name); value >= 0) return {value, name};
  }
  return {};
}

LocalRank local_rank_or_environment(int communicator_local_rank) {
  if (communicator_local_rank >= 0) return {communicator_local_rank, "communicator"};
  return local_rank_from_environment();
}

DeviceChoice choose_device(int visible, const LocalRank& local_rank) {
  const char* mask = std::getenv("CUDA_VISIBLE_DEVICES");
  const std::string visible_devices = mask == nullptr ? "" : mask;
  if (visible <= 0) {
    throw Error("no CUDA device is visible to local rank " + std::to_string(local_rank.value) +
                (mask == nullptr ? std::string()
                                 : " (CUDA_VISIBLE_DEVICES=" + visible_devices + ")"));
  }
  DeviceChoice choice;
  choice.device = local_rank.value % visible;
  choice.visible = visible;
  choice.local_rank = local_rank;
  choice.visible_devices = visible_devices;
  return choice;
}

std::string describe(const DeviceChoice& choice) {
  std::string text = "device " + std::to_string(choice.device) + " of " +
                     std::to_string(choice.visible) + " visible, local rank " +
                     std::to_string(choice.local_rank.value) + " from " +
                     choice.local_rank.source;
  if (!choice.visible_devices.empty()) text += ", CUDA_VISIBLE_DEVICES=" + choice.visible_devices;
  return text;
}

}  // namespace gram
