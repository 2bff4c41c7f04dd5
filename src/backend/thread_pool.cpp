#include "backend/thread_pool.h"

#include <sched.h>

#include <algorithm>
#include <chrono>

#include "util/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace gram::backend {
namespace {

// Tells the core that this is a spin loop (lets its sibling hyperthread run, saves power).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Spins until ready() holds or kSpinMicroseconds have passed; whether it holds. The clock is
// read every 64 turns only: a pause takes from 10 to 150 cycles depending on the CPU, so a
// count of turns would not bound the time.
template <typename Ready>
bool spin_until(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(ThreadPool::kSpinMicroseconds);
  for (unsigned turn = 1;; ++turn) {
    if (ready()) return true;
    cpu_relax();
    if (turn % 64 == 0 && std::chrono::steady_clock::now() > deadline) return ready();
  }
}

}  // namespace

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

ThreadPool::ThreadPool(int threads) {
  GRAM_ASSERT(threads >= 1, "a thread pool needs at least one thread");
  workers_.reserve(static_cast<std::size_t>(threads - 1));
  for (int thread = 1; thread < threads; ++thread) {
    workers_.emplace_back([this, thread] { worker_loop(thread); });
  }
}

ThreadPool::~ThreadPool() {
  stopping_.store(true);
  generation_.fetch_add(1);  // an even generation: every worker wakes, sees stopping_, leaves
  generation_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::run_job(int tasks, Call call, void* context) {
  // The generation is closed and no worker is checked in: nobody reads these fields now.
  call_ = call;
  context_ = context;
  tasks_ = tasks;
  next_task_.store(0, std::memory_order_relaxed);
  done_tasks_.store(0, std::memory_order_relaxed);
  const std::uint32_t open = generation_.load(std::memory_order_relaxed) + 1;
  generation_.store(open);  // publishes the fields above to workers that check in
  generation_.notify_all();
  work(0);
  // Tasks that workers hold: usually finished by now, or within microseconds.
  auto all_done = [&] { return done_tasks_.load(std::memory_order_acquire) == tasks; };
  if (!spin_until(all_done)) {
    for (int done; (done = done_tasks_.load(std::memory_order_acquire)) != tasks;) {
      done_tasks_.wait(done, std::memory_order_acquire);
    }
  }
  // Closed before the fields may change: a worker that checks in from now on sees the odd
  // generation and leaves without reading them; one already in is leaving (no task is left),
  // which takes a few instructions unless it was descheduled just then.
  generation_.store(open + 1);
  while (active_.load() != 0) std::this_thread::yield();
}

void ThreadPool::work(int thread) {
  for (int task; (task = next_task_.fetch_add(1, std::memory_order_relaxed)) < tasks_;) {
    call_(context_, task, thread);
    if (done_tasks_.fetch_add(1, std::memory_order_acq_rel) + 1 == tasks_) {
      done_tasks_.notify_one();  // the caller, if it has gone to sleep
    }
  }
}

void ThreadPool::worker_loop(int thread) {
  // The generation at construction, not a load here: a worker that starts late must still see
  // the jobs, and the stop, that came before it ran.
  std::uint32_t seen = kFirstGeneration;
  for (;;) {
    std::uint32_t generation = seen;
    auto offered = [&] {
      generation = generation_.load(std::memory_order_acquire);
      return generation % 2 == 0 && generation != seen;
    };
    if (!spin_until(offered)) {
      while (!offered()) generation_.wait(generation, std::memory_order_acquire);
    }
    if (stopping_.load()) return;
    seen = generation;
    // Check in, then make sure the job is still open: the caller closes it before it waits for
    // active_ to reach zero, so either it sees this worker or this worker sees the close.
    active_.fetch_add(1);
    if (generation_.load() == generation) work(thread);
    active_.fetch_sub(1);
  }
}

}  // namespace gram::backend
