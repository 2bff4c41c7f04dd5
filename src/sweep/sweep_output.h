#pragma once
// The sweep's output directory (sweep.cpp draws the whole pipeline): where a sweep or a shard of
// it writes, the context record of a new cells.jsonl, what a resumed one finds on file, the
// records of finished shards taken in, and which runs and searches are left. Rank 0 alone reads
// and writes the result files; the other ranks learn the list of runs from it.
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "config/sweep_config.h"
#include "distributed/communicator.h"
#include "engine/distributed_run.h"
#include "sweep/shard.h"
#include "sweep/sweep_inputs.h"
#include "util/jsonl_writer.h"

namespace gram::sweep {

// Where this sweep (or shard of it) writes, and what is already there. Rank 0 alone reads and
// writes the result files (`cells` is empty on the other ranks).
struct SweepOutput {
  config::SweepShard shard;
  std::filesystem::path directory;
  std::string cells_path;
  std::string plan_hash;
  std::vector<bool> in_shard;      // per planned run
  std::set<std::string> done;      // keys of the records already on file
  std::optional<JsonlWriter> cells;
};

SweepOutput output_location(const config::SweepConfig& config, const SweepWork& work);

// Rank 0: starts the output over, or reads what is on file; writes the context record into a
// new file; takes in the records of finished shards.
void open_output(const config::SweepConfig& config, const SweepInputs& inputs,
                 const SweepWork& work, SweepOutput& output, backend::Backend& backend,
                 const engine::DistributedRun& ranks, int argc, char** argv);

// The runs and searches that still have records to write, in plan order.
struct PendingWork {
  std::vector<int> runs;
  std::vector<int> searches;
  int cells_resumed = 0;
};

// Rank 0 decides what is left to run (`cells`: the plan's cell count, for the resume line).
PendingWork pending_work(const config::SweepConfig& config, const SweepInputs& inputs,
                         const SweepWork& work, const SweepOutput& output, int cells);

// The other ranks learn rank 0's decision, so every rank executes the same runs in order.
void share_pending(PendingWork& pending, const engine::DistributedRun& ranks,
                   dist::Communicator& communicator);

}  // namespace gram::sweep
