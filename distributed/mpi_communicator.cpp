// The MPI communicator: host buffers over MPI_COMM_WORLD. Compiled only with GRAM_MPI; this file
// and nccl_communicator.cpp are the only code that includes mpi.h.
#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <thread>

#include "distributed/communicator.h"
#include "distributed/mpi_check.h"
#include "util/error.h"

namespace gram::dist {
namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

int world_rank() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  int rank = -1;
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// MPI counts are ints: a message past 2 GiB would need chunking, which no result of ours needs.
int checked_count(std::size_t bytes, const char* what) {
  if (bytes > static_cast<std::size_t>(INT_MAX)) {
    throw Error(std::string("MPI ") + what + " of " + std::to_string(bytes) +
                " bytes exceeds the 2 GiB of one message");
  }
  return static_cast<int>(bytes);
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(int* argc, char*** argv) : host_(host_name()) {
    int provided = 0;
    // FUNNELED: only the main thread calls MPI; OpenMP threads inside the backend never do.
    MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
    MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
    MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_));
    // Ranks that share memory share a host: their order there is the local rank, which picks
    // this rank's GPU (local rank modulo the visible devices).
    MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL,
                                  &node_));
    MPI_CHECK(MPI_Comm_set_errhandler(node_, MPI_ERRORS_RETURN));
    MPI_CHECK(MPI_Comm_rank(node_, &local_rank_));
  }
  ~MpiCommunicator() override {
    MPI_Comm_free(&node_);
    MPI_Finalize();
  }
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  const std::string& host() const override { return host_; }
  std::string kind() const override { return "mpi"; }

  std::vector<std::string> gather(const std::string& bytes) override {
    wait_for_all();
    const std::uint64_t mine = bytes.size();
    std::vector<std::uint64_t> sizes(rank_ == 0 ? size_ : 0);
    MPI_CHECK(MPI_Gather(&mine, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, 0,
                         MPI_COMM_WORLD));
    std::vector<int> counts;
    std::vector<int> offsets;
    std::string all;
    if (rank_ == 0) {
      const std::uint64_t total = std::accumulate(sizes.begin(), sizes.end(), std::uint64_t{0});
      checked_count(total, "gather");
      for (std::uint64_t size : sizes) {
        offsets.push_back(counts.empty() ? 0 : offsets.back() + counts.back());
        counts.push_back(static_cast<int>(size));
      }
      all.resize(total);
    }
    MPI_CHECK(MPI_Gatherv(bytes.data(), checked_count(bytes.size(), "gather"), MPI_BYTE,
                          all.data(), counts.data(), offsets.data(), MPI_BYTE, 0,
                          MPI_COMM_WORLD));
    std::vector<std::string> parts;
    for (int r = 0; r < static_cast<int>(counts.size()); ++r) {
      parts.push_back(all.substr(offsets[r], counts[r]));
    }
    return parts;
  }

  std::string broadcast(const std::string& bytes) override {
    wait_for_all();
    std::uint64_t size = bytes.size();
    MPI_CHECK(MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD));
    std::string received = rank_ == 0 ? bytes : std::string(size, '\0');
    MPI_CHECK(MPI_Bcast(received.data(), checked_count(size, "broadcast"), MPI_BYTE, 0,
                        MPI_COMM_WORLD));
    return received;
  }

  void barrier() override { wait_for_all(); }

  [[noreturn]] void abort(int status) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, status);
    std::_Exit(status);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

 private:
  // A barrier that sleeps while it waits. Blocking collectives spin at full speed in Open MPI;
  // a rank that finished its share early would then take a core from the ranks still
  // computing (oversubscribed workstations, ranks sharing a node's cores with OpenMP threads).
  void wait_for_all() {
    MPI_Request request = MPI_REQUEST_NULL;
    MPI_CHECK(MPI_Ibarrier(MPI_COMM_WORLD, &request));
    int finished = 0;
    while (true) {
      MPI_CHECK(MPI_Test(&request, &finished, MPI_STATUS_IGNORE));
      if (finished) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  std::string host_;
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  MPI_Comm node_ = MPI_COMM_NULL;
};

}  // namespace

[[noreturn]] void throw_mpi_error(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
    std::snprintf(text, sizeof(text), "MPI error %d", code);
  }
  throw Error(std::string(call) + " failed: " + text + " (" + file + ":" + std::to_string(line) +
              ", rank " + std::to_string(world_rank()) + " on " + host_name() + ")");
}

}  // namespace gram::dist

// The plugin's entry point (src/util/plugin.h), called by make_mpi_communicator in
// mpi_plugin.cpp: MPI initialised, a communicator the caller owns, or a thrown gram::Error.
extern "C" __attribute__((visibility("default"))) gram::dist::Communicator* gram_mpi_communicator(
    int* argc, char*** argv) {
  return new gram::dist::MpiCommunicator(argc, argv);
}
