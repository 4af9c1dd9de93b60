// ReaderPool: a few threads that run blocking storage reads for callers that must not
// block (the server's network threads). Jobs run in submission order per thread, with no
// ordering between threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace weir::storage {

// Thread-safe. The destructor runs every job already submitted, then joins.
class ReaderPool {
 public:
  using Job = std::function<void()>;

  explicit ReaderPool(int threads);
  ~ReaderPool();
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // Queues `job`; it must not throw. After the pool began stopping, runs it on the
  // calling thread instead, so a job is never dropped.
  void submit(Job job);
  // Returns once every job submitted before the call has finished.
  void wait_idle();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Job> jobs_;   // guarded by mutex_
  int running_ = 0;        // guarded by mutex_: jobs being run right now
  bool stopping_ = false;  // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace weir::storage
