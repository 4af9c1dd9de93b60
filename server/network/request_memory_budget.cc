#include "server/network/request_memory_budget.h"

#include <vector>

namespace weir {

std::shared_ptr<RequestMemoryBudget> RequestMemoryBudget::create(std::int64_t capacity_bytes) {
  return std::shared_ptr<RequestMemoryBudget>(new RequestMemoryBudget(capacity_bytes));
}

bool RequestMemoryBudget::acquire_or_wait(std::int64_t bytes, asio::any_io_executor executor,
                                          std::function<void()> granted) {
  std::lock_guard lock(mutex_);
  if (waiters_.empty() && fits(bytes)) {
    in_use_ += bytes;
    return true;
  }
  waiters_.push_back(Waiter{bytes, std::move(executor), std::move(granted)});
  return false;
}

void RequestMemoryBudget::release(std::int64_t bytes) {
  std::vector<Waiter> granted;
  {
    std::lock_guard lock(mutex_);
    in_use_ -= bytes;
    while (!waiters_.empty() && fits(waiters_.front().bytes)) {
      in_use_ += waiters_.front().bytes;
      granted.push_back(std::move(waiters_.front()));
      waiters_.pop_front();
    }
  }
  for (auto& waiter : granted) asio::post(waiter.executor, std::move(waiter.granted));
}

void RequestMemoryBudget::cancel_waiters() {
  std::deque<Waiter> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(waiters_);
  }
}

std::shared_ptr<protocol::FrameBuffer> RequestMemoryBudget::make_buffer(std::int64_t bytes) {
  return std::shared_ptr<protocol::FrameBuffer>(
      new protocol::FrameBuffer(static_cast<std::size_t>(bytes)),
      [budget = shared_from_this(), bytes](protocol::FrameBuffer* buffer) {
        delete buffer;
        budget->release(bytes);
      });
}

std::int64_t RequestMemoryBudget::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

std::size_t RequestMemoryBudget::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

}  // namespace weir
