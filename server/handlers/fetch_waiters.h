// Long-poll support for Fetch: a fetch that has not yet gathered min_bytes parks here
// until new data is committed or its max_wait_ms runs out. The commit pipeline calls
// notify_appended() from its writer thread; each parked fetch is retried on its own
// connection's executor, so fetch state is never shared between threads.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace weir {

class FetchWaiters {
 public:
  using Retry = std::function<void()>;

  // Registers `retry` to run on `executor` after the next commit, unless `owner` has been
  // destroyed by then (the fetch was answered by its deadline). One-shot: a fetch that is
  // still unsatisfied parks again.
  void park(asio::any_io_executor executor, std::weak_ptr<void> owner, Retry retry);
  // Thread-safe; cheap when nothing is parked.
  void notify_appended();
  // Graceful shutdown: wakes every parked fetch, and from now on fetches answer at once
  // with what they have instead of waiting out max_wait_ms. Thread-safe.
  void answer_all_now();
  bool answering_all_now() const { return answering_all_now_.load(std::memory_order_acquire); }

 private:
  struct Parked {
    asio::any_io_executor executor;
    std::weak_ptr<void> owner;
    Retry retry;
  };
  void drop_answered();

  std::mutex mutex_;
  std::vector<Parked> parked_;
  std::size_t size_after_last_purge_ = 0;
  std::atomic<bool> answering_all_now_{false};
};

}  // namespace weir
