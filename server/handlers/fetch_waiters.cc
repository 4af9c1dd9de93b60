#include "server/handlers/fetch_waiters.h"

#include <algorithm>

namespace weir {

void FetchWaiters::park(asio::any_io_executor executor, std::weak_ptr<void> owner, Retry retry) {
  std::lock_guard lock(mutex_);
  // Checked under the lock: answer_all_now sets the flag before it takes the lock to
  // wake the parked, so a fetch either sees the flag or is parked in time to be woken.
  if (answering_all_now()) {
    asio::post(executor, std::move(retry));
    return;
  }
  parked_.push_back(Parked{std::move(executor), std::move(owner), std::move(retry)});
  // Fetches answered by their deadline leave stale entries while no data arrives; purge
  // them whenever the list has doubled, so the cost stays amortised O(1) per park.
  if (parked_.size() > 2 * size_after_last_purge_ + 64) drop_answered();
}

void FetchWaiters::drop_answered() {
  std::erase_if(parked_, [](const Parked& parked) { return parked.owner.expired(); });
  size_after_last_purge_ = parked_.size();
}

void FetchWaiters::notify_appended() {
  std::vector<Parked> woken;
  {
    std::lock_guard lock(mutex_);
    if (parked_.empty()) return;
    woken.swap(parked_);
    size_after_last_purge_ = 0;
  }
  for (auto& parked : woken) {
    if (parked.owner.expired()) continue;
    asio::post(parked.executor, std::move(parked.retry));
  }
}

void FetchWaiters::answer_all_now() {
  answering_all_now_.store(true, std::memory_order_release);
  notify_appended();
}

}  // namespace weir
