#pragma once
// Parts of the engine that bring heavy libraries are built as plugins, shared objects that the
// engine opens only when a command needs them: the CUDA backend (the CUDA runtime and cuBLAS,
// whose static initialisers alone took a fifth of a second at every start) and the MPI
// communicator (Open MPI and its dependencies). Every other command starts without them.
//
// A plugin `libgram_<name>.so` is looked for beside the running executable, then in the build
// tree's plugin folder (CMake's GRAM_PLUGIN_DIR, where the build puts them), so that the gram
// binary and the test executables find the plugins of their own build.
#include <string>

namespace gram {

// The entry point `symbol` of plugin `name` ("cuda", "mpi"), opened once and kept open for the
// life of the process. `global`: its symbols (and its libraries') serve later-loaded objects,
// as Open MPI's own components need. Throws gram::Error naming the file and the loader's
// reason (a missing CUDA runtime, say) when it cannot be opened.
void* plugin_symbol(const std::string& name, const std::string& symbol, bool global = false);

}  // namespace gram
