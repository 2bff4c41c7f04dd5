#pragma once
// The CPU backend's threads: `threads - 1` workers plus the calling thread, which run the
// parallel loops of a supervision step (dozens per network application, many of a few
// microseconds each).
//
// Why not OpenMP: libgomp takes its waiting policy from OMP_WAIT_POLICY when it is loaded,
// before main(), so choosing one meant executing the binary a second time; its default spins
// for milliseconds between loops, which took the cores from busy neighbours (10-20x slower
// small batches under load), and its passive policy pays a futex wake per loop. Here a free
// worker spins for a bounded time (kSpinMicroseconds), long enough to catch the next loop of a
// step, then sleeps on a futex (std::atomic::wait), so an idle engine costs nothing. The caller
// never waits for a worker that has not woken yet: tasks go to whichever thread takes them
// first, so a descheduled worker delays nothing but the task it holds.
//
//   ThreadPool pool(2);
//   pool.run(tasks, [&](int task, int thread) { ... });  // thread: 0..threads()-1, for scratch
//
// run() is not re-entrant: a task must not call run() on the same pool, and one pool serves one
// calling thread at a time.
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace gram::backend {

// The cores this process may run on (its affinity mask): the thread count that "0 = every
// core" means.
int available_cores();

class ThreadPool {
 public:
  // How long a worker with nothing to do spins before it sleeps (measured in docs/performance.md).
  static constexpr int kSpinMicroseconds = 100;

  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(task, thread) once for every task in [0, tasks) and returns when all have run.
  // `thread` is the index of the running thread (0 is the caller), for per-thread scratch.
  template <typename Body>
  void run(int tasks, Body&& body) {
    if (tasks <= 0) return;
    if (tasks == 1 || workers_.empty()) {
      for (int task = 0; task < tasks; ++task) body(task, 0);
      return;
    }
    run_job(tasks, [](void* context, int task, int thread) {
      (*static_cast<Body*>(context))(task, thread);
    }, &body);
  }

 private:
  using Call = void (*)(void* context, int task, int thread);

  void run_job(int tasks, Call call, void* context);
  void work(int thread);
  void worker_loop(int thread);

  // The job on offer: written by the caller only while no worker is inside it (active_ == 0
  // with the generation closed), read by workers only after they have checked in.
  Call call_ = nullptr;
  void* context_ = nullptr;
  int tasks_ = 0;
  // Even: job generation_/2 is open; odd: closed (its tasks are done or being written).
  static constexpr std::uint32_t kFirstGeneration = 1;
  std::atomic<std::uint32_t> generation_{kFirstGeneration};
  std::atomic<int> next_task_{0};
  std::atomic<int> done_tasks_{0};
  std::atomic<int> active_{0};  // workers checked in to the open job
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
};

}  // namespace gram::backend
