#include "engine/distributed_run.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <tuple>
#include <type_traits>

#include "util/error.h"
#include "util/stop_signal.h"

namespace gram::engine {
namespace {

// Results travel between ranks of one job, so one byte order and one float format; the magic
// number catches a mismatch (and a truncated message) rather than decoding garbage.
constexpr std::uint32_t kMagic = 0x47524D31;  // "GRM1"

class Writer {
 public:
  template <typename T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* bytes = reinterpret_cast<const char*>(&value);
    out_.append(bytes, sizeof(T));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    GRAM_ASSERT(position_ + sizeof(T) <= in_.size(), "truncated result message");
    T value;
    std::memcpy(&value, in_.data() + position_, sizeof(T));
    position_ += sizeof(T);
    return value;
  }
  bool done() const { return position_ == in_.size(); }

 private:
  std::string_view in_;
  std::size_t position_ = 0;
};

std::FILE* log_file = nullptr;

}  // namespace

int agree_on_stop(dist::Communicator& communicator, int mine) {
  int first = 0;
  for (const std::string& part : communicator.gather(std::to_string(mine))) {
    if (first == 0) first = std::stoi(part);
  }
  return std::stoi(communicator.broadcast(std::to_string(first)));
}

std::vector<WorkItem> rank_share(std::span<const WorkItem> items, int rank, int size) {
  GRAM_ASSERT(size >= 1 && rank >= 0 && rank < size, "rank outside the world");
  std::vector<WorkItem> share;
  share.reserve(items.size() / size + 1);
  for (std::size_t i = rank; i < items.size(); i += size) share.push_back(items[i]);
  return share;
}

std::string serialize_results(std::span<const TrajectoryResult> results) {
  Writer out;
  out.put(kMagic);
  out.put(static_cast<std::uint64_t>(results.size()));
  for (const TrajectoryResult& result : results) {
    out.put(result.puzzle);
    out.put(result.trajectory);
    out.put(static_cast<std::uint32_t>(result.answer.size()));
    for (std::int32_t token : result.answer) out.put(token);
    out.put(result.answer_hash);
    out.put(static_cast<std::uint8_t>(result.valid));
    out.put(result.value);
    out.put(static_cast<std::int32_t>(result.steps));
    out.put(static_cast<std::uint8_t>(result.halted));
    out.put(result.applications);
    out.put(result.started_seconds);
    out.put(result.finished_seconds);
    out.put(static_cast<std::uint32_t>(result.history.size()));
    for (const StepAnswer& step : result.history) {
      out.put(step.answer_hash);
      out.put(static_cast<std::uint8_t>(step.valid));
      out.put(step.value);
    }
  }
  return out.take();
}

std::vector<TrajectoryResult> deserialize_results(std::string_view bytes) {
  Reader in(bytes);
  GRAM_ASSERT(in.get<std::uint32_t>() == kMagic, "result message from another format");
  const auto count = in.get<std::uint64_t>();
  std::vector<TrajectoryResult> results(count);
  for (TrajectoryResult& result : results) {
    result.puzzle = in.get<std::uint32_t>();
    result.trajectory = in.get<std::uint32_t>();
    result.answer.resize(in.get<std::uint32_t>());
    for (std::int32_t& token : result.answer) token = in.get<std::int32_t>();
    result.answer_hash = in.get<std::uint64_t>();
    result.valid = in.get<std::uint8_t>() != 0;
    result.value = in.get<float>();
    result.steps = in.get<std::int32_t>();
    result.halted = in.get<std::uint8_t>() != 0;
    result.applications = in.get<std::int64_t>();
    result.started_seconds = in.get<double>();
    result.finished_seconds = in.get<double>();
    result.history.resize(in.get<std::uint32_t>());
    for (StepAnswer& step : result.history) {
      step.answer_hash = in.get<std::uint64_t>();
      step.valid = in.get<std::uint8_t>() != 0;
      step.value = in.get<float>();
    }
  }
  GRAM_ASSERT(in.done(), "trailing bytes after the results");
  return results;
}

ShareStats DistributedRun::run(Runner& runner, std::span<const tasks::Puzzle> puzzles,
                               std::span<const WorkItem> items,
                               const std::function<void(const TrajectoryResult&)>& on_local,
                               const std::function<void(TrajectoryResult&&)>& on_result) {
  ShareStats stats;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (world_size() == 1) {
    stats.items = items.size();
    runner.run(puzzles, items, [&](TrajectoryResult&& result) {
      if (on_local) on_local(result);
      on_result(std::move(result));
    });
    stats.seconds = elapsed();
    return stats;
  }

  const std::vector<WorkItem> share = rank_share(items, rank(), world_size());
  stats.items = share.size();
  std::vector<TrajectoryResult> mine;
  mine.reserve(share.size());
  int stopped = 0;
  try {
    if (!share.empty()) {
      runner.run(puzzles, share, [&](TrajectoryResult&& result) {
        if (on_local) on_local(result);
        mine.push_back(std::move(result));
      });
    }
  } catch (const Stopped& stop) {
    stopped = stop.signal();
  }
  stats.seconds = elapsed();
  // Every rank learns whether any rank was told to stop (mpirun and srun signal them all, but
  // not at the same instant), before the gather of results: so all ranks stop together and
  // none is left waiting in a collective the others never join.
  stopped = agree_on_stop(communicator(), stopped);
  if (stopped != 0) {
    rank_log("stopping on " + signal_name(stopped) + " after " + std::to_string(mine.size()) +
             " of " + std::to_string(share.size()) + " items");
    request_stop(stopped);
    throw Stopped(stopped);
  }
  rank_log("ran " + std::to_string(share.size()) + " of " + std::to_string(items.size()) +
           " items in " + std::to_string(stats.seconds) + " s");

  const std::vector<std::string> parts = communicator().gather(serialize_results(mine));
  if (!is_root()) return stats;
  std::vector<TrajectoryResult> all;
  all.reserve(items.size());
  for (const std::string& part : parts) {
    stats.bytes_gathered += part.size();
    for (TrajectoryResult& result : deserialize_results(part)) all.push_back(std::move(result));
  }
  GRAM_ASSERT(all.size() == items.size(), "gathered results do not cover the work list");
  std::sort(all.begin(), all.end(), [](const TrajectoryResult& a, const TrajectoryResult& b) {
    return std::tie(a.puzzle, a.trajectory) < std::tie(b.puzzle, b.trajectory);
  });
  rank_log("gathered " + std::to_string(stats.bytes_gathered) + " bytes from " +
           std::to_string(world_size()) + " ranks");
  for (TrajectoryResult& result : all) on_result(std::move(result));
  return stats;
}

void DistributedRun::use_device_plane(const backend::Backend& backend) {
  if (world_size() == 1 || backend.name() != "cuda" || launch_.kind() == "nccl" || device_plane_) {
    return;
  }
  device_plane_ = dist::make_device_communicator(launch_);
  rank_log(device_plane_ ? "results travel over NCCL on the GPU"
                         : "results travel over " + launch_.kind() + " (this build has no NCCL)");
}

void open_rank_log(const dist::Communicator& communicator) {
  const char* directory = std::getenv("GRAM_LOG_DIR");
  std::string path;
  if (directory != nullptr && *directory != '\0') {
    std::error_code ignored;
    std::filesystem::create_directories(directory, ignored);
    path = (std::filesystem::path(directory) /
            ("rank-" + std::to_string(communicator.rank()) + ".log")).string();
    log_file = std::fopen(path.c_str(), "a");
    if (log_file == nullptr) {
      throw Error(path + ": cannot open the rank log: " + std::strerror(errno));
    }
  }
  if (communicator.rank() != 0) {
    // Only rank 0 prints results; the others' stdout goes to their log or nowhere.
    if (std::freopen(path.empty() ? "/dev/null" : path.c_str(), "a", stdout) == nullptr) {
      throw Error("cannot redirect stdout of rank " + std::to_string(communicator.rank()));
    }
  }
  rank_log("rank " + std::to_string(communicator.rank()) + " of " +
           std::to_string(communicator.size()) + " (local rank " +
           std::to_string(communicator.local_rank()) + ") on " + communicator.host() + ", pid " +
           std::to_string(::getpid()) + ", communicator " + communicator.kind());
}

void rank_log(const std::string& line) {
  if (log_file == nullptr) return;
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::fprintf(log_file, "%s %s\n", stamp, line.c_str());
  std::fflush(log_file);
}

}  // namespace gram::engine
