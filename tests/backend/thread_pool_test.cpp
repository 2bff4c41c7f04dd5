// The CPU backend's thread pool (backend/thread_pool.h): every task runs exactly once per job,
// on a thread index within range, across many short jobs back to back (workers spinning), jobs
// after the workers have gone to sleep, and jobs whose tasks take long.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "backend/thread_pool.h"

namespace gram {
namespace {

void expect_each_task_once(backend::ThreadPool& pool, int tasks) {
  std::vector<std::atomic<int>> runs(static_cast<std::size_t>(tasks));
  std::atomic<int> bad_thread{0};
  pool.run(tasks, [&](int task, int thread) {
    runs[static_cast<std::size_t>(task)].fetch_add(1);
    if (thread < 0 || thread >= pool.threads()) bad_thread.fetch_add(1);
  });
  for (int task = 0; task < tasks; ++task) {
    ASSERT_EQ(runs[static_cast<std::size_t>(task)].load(), 1) << "task " << task << " of " << tasks;
  }
  EXPECT_EQ(bad_thread.load(), 0);
}

TEST(ThreadPool, RunsEveryTaskOnceInManyShortJobs) {
  for (int threads : {1, 2, 3, 8}) {
    backend::ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int job = 0; job < 2000; ++job) expect_each_task_once(pool, job % 37);
  }
}

TEST(ThreadPool, RunsJobsAfterTheWorkersHaveGoneToSleep) {
  backend::ThreadPool pool(3);
  for (int job = 0; job < 5; ++job) {
    expect_each_task_once(pool, 16);
    std::this_thread::sleep_for(
        std::chrono::microseconds(5 * backend::ThreadPool::kSpinMicroseconds));
  }
}

TEST(ThreadPool, WaitsForTasksThatTakeLong) {
  backend::ThreadPool pool(2);
  std::atomic<int> finished{0};
  pool.run(4, [&](int, int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    finished.fetch_add(1);
  });
  EXPECT_EQ(finished.load(), 4);
}

TEST(ThreadPool, UsesMoreThanOneThreadWhenTasksWait) {
  backend::ThreadPool pool(2);
  std::vector<std::atomic<int>> per_thread(2);
  pool.run(8, [&](int, int thread) {
    per_thread[static_cast<std::size_t>(thread)].fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  EXPECT_GT(per_thread[0].load(), 0);
  EXPECT_GT(per_thread[1].load(), 0);
}

}  // namespace
}  // namespace gram
