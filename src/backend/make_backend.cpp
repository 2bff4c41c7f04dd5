#include "backend/backend.h"
#include "util/error.h"

namespace gram::backend {

std::unique_ptr<Backend> make_backend(const std::string& name, int threads) {
  if (name == "cpu") return make_cpu_backend(threads);
  if (name == "cuda") {
    throw Error("backend 'cuda': this build has no CUDA backend (use backend=cpu)");
  }
  throw Error("backend '" + name + "': unknown (expected cpu or cuda)");
}

}  // namespace gram::backend
