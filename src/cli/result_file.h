#pragma once
// The result file of `gram run`, owned by rank 0: opened there before any rank starts work, so
// that an existing file (without --overwrite) or an unwritable path is refused at once, and
// every rank learns whether it was, instead of waiting in a gather rank 0 never joins.
#include <optional>
#include <string>

#include "distributed/communicator.h"
#include "util/jsonl_writer.h"

namespace gram::cli {

struct ResultFile {
  std::optional<JsonlWriter> writer;  // rank 0 only
  bool opened = false;  // false on the other ranks when rank 0 could not open it: return 1
};

// On rank 0 opens `path` and throws gram::Error when it cannot (after telling the others).
ResultFile open_result_file(dist::Communicator& communicator, const std::string& path,
                            bool overwrite);

}  // namespace gram::cli
