// The CPU backend's thread pool: a fixed set of workers that run the parallel loops of the layers.
//
// Why not OpenMP: a training step opens ~30 short parallel regions, and libgomp's default is to
// spin while waiting. On a shared two-core machine a spinning worker steals the core its
// partner needs: with one other busy process, a step went from 27 ms to 207 ms. Workers here spin
// only briefly, then sleep on a condition variable. The caller takes part in the work, tasks are
// claimed from an atomic counter, and a loop inside a task runs inline (no nesting).
//
// Which thread runs which task never affects results: reductions go through fixed chunks (see
// parallel.hpp), so they are identical for any thread count.
//
// It is the library's one threading mechanism: the layers and k-means both run on it, and
// nothing in dae uses OpenMP or Eigen's own threads (see parallel.hpp), so no parallel region
// ever nests inside a task.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DAE_CPU_RELAX() _mm_pause()
#else
#define DAE_CPU_RELAX() ((void)0)
#endif

namespace dae::detail {

class ThreadPool {
 public:
  /// The process-wide pool, sized to the hardware until resize() is called.
  static ThreadPool& instance() {
    static ThreadPool pool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    return pool;
  }

  ~ThreadPool() { stop_workers(); }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Total threads taking part in a loop, the caller included.
  [[nodiscard]] int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Sets the number of threads (the caller included). @pre threads >= 1; not inside a loop
  void resize(int threads) {
    if (threads == this->threads()) return;
    stop_workers();
    start_workers(std::max(1, threads) - 1);
  }

  /// Runs task(i) for every i in [0, tasks) and returns when all are done.
  void run(std::int64_t tasks, const std::function<void(std::int64_t)>& task) {
    run_workers(tasks, 0, [&](std::int64_t i, int) { task(i); });
  }

  /// Runs task(i, worker) for every i in [0, tasks) on at most `max_threads` threads (0: all),
  /// handing the indices out one at a time. `worker` in [0, max_threads) is unique among the
  /// threads of this loop, so a task can keep scratch space per worker.
  void run_workers(std::int64_t tasks, int max_threads,
                   const std::function<void(std::int64_t, int)>& task) {
    if (tasks <= 0) return;
    const int limit = max_threads > 0 ? std::min(max_threads, threads()) : threads();
    if (tasks == 1 || limit == 1 || inside_task()) {
      for (std::int64_t i = 0; i < tasks; ++i) task(i, 0);
      return;
    }
    Loop loop{&task, tasks, limit};
    {
      std::lock_guard lock(mutex_);
      current_ = &loop;
      ++generation_;
    }
    wake_.notify_all();
    work(loop, 0);
    // The loop lives on this stack: wait until every task ran and no worker still holds it.
    for (int spin = 0; spin < 4096 && !loop.finished(); ++spin) DAE_CPU_RELAX();
    std::unique_lock lock(mutex_);
    current_ = nullptr;
    done_.wait(lock, [&] { return loop.finished(); });
  }

 private:
  /// One parallel loop; workers reach it only through `current_`, under the mutex.
  struct Loop {
    const std::function<void(std::int64_t, int)>* task;
    std::int64_t count;
    int max_threads;  // the caller included
    std::atomic<std::int64_t> next{0};
    std::atomic<std::int64_t> unfinished{0};
    std::atomic<int> holders{0};  // workers inside work(); changed under mutex_
    int joined = 0;               // workers that ever joined (their ids are 1..joined); mutex_
    Loop(const std::function<void(std::int64_t, int)>* t, std::int64_t n, int limit)
        : task(t), count(n), max_threads(limit), unfinished(n) {}
    [[nodiscard]] bool finished() const {
      return unfinished.load(std::memory_order_acquire) == 0 && holders == 0;
    }
  };

  explicit ThreadPool(int threads) { start_workers(threads - 1); }

  static bool& inside_task() {
    thread_local bool inside = false;
    return inside;
  }

  /// Claims and runs tasks of `loop` until none is left.
  static void work(Loop& loop, int worker) {
    const bool was_inside = inside_task();
    inside_task() = true;
    for (std::int64_t i = loop.next.fetch_add(1); i < loop.count; i = loop.next.fetch_add(1)) {
      (*loop.task)(i, worker);
      loop.unfinished.fetch_sub(1, std::memory_order_acq_rel);
    }
    inside_task() = was_inside;
  }

  void worker_loop() {
    std::uint64_t seen = 0;
    for (;;) {
      // In a training step the next loop usually follows soon: spin a little before sleeping.
      for (int spin = 0;
           spin < 2048 && generation_.load(std::memory_order_relaxed) == seen && !stopping_.load();
           ++spin) {
        DAE_CPU_RELAX();
      }
      Loop* loop = nullptr;
      int worker = 0;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load() != seen || stopping_.load(); });
        if (stopping_.load()) return;
        seen = generation_.load();
        loop = current_;
        if (loop == nullptr) continue;  // that loop already ended
        if (loop->joined + 1 >= loop->max_threads) continue;  // enough threads on it
        worker = ++loop->joined;
        ++loop->holders;
      }
      work(*loop, worker);
      {
        std::lock_guard lock(mutex_);
        --loop->holders;
      }
      done_.notify_all();
    }
  }

  void start_workers(int count) {
    stopping_.store(false);
    for (int i = 0; i < count; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void stop_workers() {
    {
      std::lock_guard lock(mutex_);
      stopping_.store(true);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::atomic<std::uint64_t> generation_{0};  // written under mutex_, read freely while spinning
  Loop* current_ = nullptr;                   // guarded by mutex_
  std::atomic<bool> stopping_{false};
};

}  // namespace dae::detail
