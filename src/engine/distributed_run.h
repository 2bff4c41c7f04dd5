#pragma once
// Runs one list of work items over all ranks of a job and hands rank 0 every result, so that the
// code that aggregates and writes results is the same for 1 rank or many.
//
// The work list is global ((puzzle, trajectory) items, engine::make_work), and each rank takes a
// strided share of it (item i goes to rank i mod size; strided rather than contiguous so that
// halting runs, whose puzzles differ in cost, stay balanced). Trajectories are seeded by their
// global identity (science.md s5), so the results do not depend on which rank ran them. After
// the run each rank serialises its results, rank 0 gathers them and replays them in canonical
// (puzzle, trajectory) order into the caller's callback. Alone, a process skips the gather and
// streams results as they finish, as before.
//
// Rank 0 alone prints and writes results; every rank may keep a log of its own,
// GRAM_LOG_DIR/rank-<r>.log (the one place that variable is read).
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "distributed/communicator.h"
#include "engine/runner.h"
#include "tasks/task.h"

namespace gram::engine {

// Items i with i mod size == rank, in list order.
std::vector<WorkItem> rank_share(std::span<const WorkItem> items, int rank, int size);

// Exact (bitwise) round trip of results, history and answer tokens included.
std::string serialize_results(std::span<const TrajectoryResult> results);
std::vector<TrajectoryResult> deserialize_results(std::string_view bytes);

// The first non-zero stop signal over the ranks (rank order), on every rank; 0 when none. Called
// by every rank before a gather, so that all stop together and none waits in a collective the
// others never join.
int agree_on_stop(dist::Communicator& communicator, int mine);

struct ShareStats {
  std::size_t items = 0;           // run on this rank
  std::size_t bytes_gathered = 0;  // on rank 0: serialised results received from all ranks
  double seconds = 0.0;            // this rank's running time, gather excluded
};

class DistributedRun {
 public:
  explicit DistributedRun(dist::Communicator& launch) : launch_(launch) {}

  // The communicator of the run's collectives (the gathers of results, the broadcasts of
  // adaptive runs and searches): the device plane once use_device_plane chose one, else the
  // launch communicator.
  dist::Communicator& communicator() { return device_plane_ ? *device_plane_ : launch_; }
  int rank() const { return launch_.rank(); }
  int world_size() const { return launch_.size(); }
  int local_rank() const { return launch_.local_rank(); }
  bool is_root() const { return launch_.rank() == 0; }

  // With the CUDA backend and several ranks, moves the run's collectives to NCCL over device
  // buffers on this rank's GPU (dist::make_device_communicator; the launch communicator stays
  // for everything else). Nothing changes on the CPU backend, on one rank, in a build without
  // NCCL, or when the launch communicator is NCCL already. Every rank calls it, right after
  // making its backend. The bytes gathered are the same either way, so results are too.
  void use_device_plane(const backend::Backend& backend);

  // Runs this rank's share of `items`. `on_local` sees each of this rank's results as it
  // finishes (progress); `on_result`, on rank 0 only, gets every result of every rank.
  ShareStats run(Runner& runner, std::span<const tasks::Puzzle> puzzles,
                 std::span<const WorkItem> items,
                 const std::function<void(const TrajectoryResult&)>& on_local,
                 const std::function<void(TrajectoryResult&&)>& on_result);

 private:
  dist::Communicator& launch_;
  std::unique_ptr<dist::Communicator> device_plane_;
};

// Opens GRAM_LOG_DIR/rank-<r>.log when that variable is set and writes a first line naming the
// rank, host and process id. On ranks other than 0 it also sends stdout there (or to
// /dev/null), so only rank 0 prints results. Call once, at start-up.
void open_rank_log(const dist::Communicator& communicator);
// One time-stamped line in this rank's log; nothing when there is none.
void rank_log(const std::string& line);

}  // namespace gram::engine
