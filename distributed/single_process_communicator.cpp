// The communicator of a process that runs alone: rank 0 of 1, every collective a copy. Always
// compiled, so a build without MPI runs every command unchanged.
#include <unistd.h>

#include <cstdlib>

#include "distributed/communicator.h"

namespace gram::dist {
namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

class SingleProcessCommunicator final : public Communicator {
 public:
  SingleProcessCommunicator() : host_(host_name()) {}
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  const std::string& host() const override { return host_; }
  std::string kind() const override { return "single"; }
  std::vector<std::string> gather(const std::string& bytes) override { return {bytes}; }
  std::string broadcast(const std::string& bytes) override { return bytes; }
  void barrier() override {}
  [[noreturn]] void abort(int status) override { std::_Exit(status); }

 private:
  std::string host_;
};

}  // namespace

std::unique_ptr<Communicator> make_single_process_communicator() {
  return std::make_unique<SingleProcessCommunicator>();
}

}  // namespace gram::dist
