// What `gram report` does with DIR/cells.jsonl before it writes files: read every record type
// and field (docs/reports.md), merge them into cells, and build every table from them.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "report/sweep_results.h"
#include "report/tables.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gram::fuzz::write_input(gram::fuzz::as_text(data, size), "cells.jsonl");
  gram::fuzz::expect_clean_errors([&] {
    const auto results = gram::report::load_sweeps({gram::fuzz::scratch_directory().string()});
    gram::report::build_tables(results, {});
    for (const auto& cell : results.cells) {
      for (const auto& aggregator : cell.aggregators) {
        cell.accuracy(aggregator);
        cell.outcomes(aggregator);
      }
    }
  });
  return 0;
}
