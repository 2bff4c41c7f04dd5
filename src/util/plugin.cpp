#include "util/plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <mutex>

#include "util/error.h"

namespace gram {
namespace {

// The folder of the running executable, from /proc/self/exe; empty if unknown.
std::string executable_folder() {
  char path[PATH_MAX];
  const ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) return "";
  const std::string executable(path, static_cast<std::size_t>(length));
  return executable.substr(0, executable.rfind('/'));
}

void* open_plugin(const std::string& name, bool global) {
  const std::string file = "libgram_" + name + ".so";
  const int mode = RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL);
  std::string reasons;
  for (const std::string& folder : {executable_folder(), std::string(GRAM_PLUGIN_DIR)}) {
    const std::string path = folder + "/" + file;
    if (::access(path.c_str(), F_OK) != 0) continue;
    if (void* handle = ::dlopen(path.c_str(), mode)) return handle;
    reasons += (reasons.empty() ? "" : "; ") + std::string(::dlerror());
  }
  if (reasons.empty()) {
    reasons = "not found beside the executable nor in " + std::string(GRAM_PLUGIN_DIR);
  }
  throw Error("cannot load the " + name + " plugin " + file + ": " + reasons);
}

}  // namespace

void* plugin_symbol(const std::string& name, const std::string& symbol, bool global) {
  static std::mutex mutex;
  const std::lock_guard<std::mutex> lock(mutex);
  void* handle = open_plugin(name, global);  // dlopen counts references: reopening is cheap
  void* entry = ::dlsym(handle, symbol.c_str());
  if (entry == nullptr) {
    throw Error("the " + name + " plugin has no entry point " + symbol + " (" + ::dlerror() +
                "): it was built from other sources than this binary");
  }
  return entry;
}

}  // namespace gram
