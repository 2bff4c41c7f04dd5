// The NCCL factories of a build with GRAM_NCCL (CMake compiles this file only then; without it,
// nccl_unavailable.cpp). The communicator lives in the NCCL plugin, libgram_nccl.so
// (nccl_communicator.cpp, src/util/plugin.h), so that only a job that forms an NCCL
// communicator loads NCCL and the CUDA runtime; every other command starts without them. The
// bootstrap (the id through the launch communicator or a shared file) is host code and stays
// here.
#include <unistd.h>

#include <string>
#include <utility>

#include "distributed/communicator.h"
#include "distributed/deadline.h"
#include "distributed/nccl_bootstrap.h"
#include "distributed/nccl_communicator.h"
#include "util/device_choice.h"
#include "util/plugin.h"

namespace gram::dist {
namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

}  // namespace

bool nccl_available() { return true; }

std::unique_ptr<Communicator> make_nccl_communicator(NcclSetup setup) {
  using Entry = Communicator* (*)(NcclSetup*);
  const auto entry = reinterpret_cast<Entry>(plugin_symbol("nccl", "gram_nccl_communicator"));
  return std::unique_ptr<Communicator>(entry(&setup));
}

std::unique_ptr<Communicator> make_device_communicator(Communicator& launch) {
  NcclSetup setup;
  setup.rank = launch.rank();
  setup.size = launch.size();
  setup.local_rank = launch.local_rank();
  setup.host = launch.host();
  setup.exchange_id = [&launch](const std::string& root_id) { return launch.broadcast(root_id); };
  setup.launch = &launch;
  setup.timeout_seconds = nccl_timeout_seconds();
  return make_nccl_communicator(std::move(setup));
}

std::unique_ptr<Communicator> make_file_bootstrapped_communicator() {
  const FileBootstrap bootstrap = file_bootstrap_from_environment();
  const LocalRank local = local_rank_from_environment();
  NcclSetup setup;
  setup.rank = bootstrap.rank;
  setup.size = bootstrap.size;
  setup.local_rank = local.value;
  setup.local_rank_source = local.source;
  setup.host = host_name();
  setup.exchange_id = [bootstrap](const std::string& root_id) {
    return exchange_id_over_file(bootstrap, root_id);
  };
  setup.joined = [bootstrap] { remove_bootstrap_file(bootstrap); };
  setup.timeout_seconds = bootstrap.timeout_seconds;
  return make_nccl_communicator(std::move(setup));
}

}  // namespace gram::dist
