#include "server/handlers/fetch_waiters.h"

#include <algorithm>

namespace weir {

void FetchWaiters::park(asio::any_io_executor executor, std::weak_ptr<void> owner, Retry retry) {
  std::lock_guard lock(mutex_);
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

}  // namespace weir
