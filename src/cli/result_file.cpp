#include "cli/result_file.h"

#include "util/error.h"

namespace gram::cli {

ResultFile open_result_file(dist::Communicator& communicator, const std::string& path,
                            bool overwrite) {
  ResultFile file;
  std::string opened = "ok";
  if (communicator.rank() == 0) {
    try {
      file.writer.emplace(path, overwrite);
    } catch (const Error& error) {
      opened = error.what();
    }
  }
  opened = communicator.broadcast(opened);
  if (opened != "ok" && communicator.rank() == 0) throw Error(opened);
  file.opened = opened == "ok";
  return file;
}

}  // namespace gram::cli
