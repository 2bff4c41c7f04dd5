// The reader a resumed `gram sweep` uses on an existing OUTPUT/cells.jsonl (and on each
// shard's): the context record and its plan hash, the fields that identify every cell and
// entropy record, and the policy records' keys. The plan hash is fixed here; the seeds carry
// it so that inputs get past it.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "sweep/policy_cells.h"
#include "sweep/sweep_records.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gram::fuzz::write_input(gram::fuzz::as_text(data, size), "cells.jsonl");
  gram::fuzz::expect_clean_errors([&] {
    for (const auto& record : gram::sweep::read_sweep_records(path, "0123456789abcdef")) {
      if (record.key.empty()) gram::sweep::policy_record_key(record.json);
    }
  });
  return 0;
}
