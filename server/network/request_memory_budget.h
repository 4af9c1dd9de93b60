// The broker-wide budget of bytes held in request buffers. A connection reserves a
// frame's size before allocating its body and gives it back when the last reference to
// the frame goes, so a burst of large frames from many clients waits here instead of
// exhausting memory.
//
// Thread-safe. Waiters are granted strictly in arrival order, so a large frame is not
// starved by a stream of small ones. A reservation larger than the whole budget is
// granted once nothing else is held (configuration normally forbids that case).
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "protocol/framing/frame_buffer.h"

namespace weir {

class RequestMemoryBudget : public std::enable_shared_from_this<RequestMemoryBudget> {
 public:
  static std::shared_ptr<RequestMemoryBudget> create(std::int64_t capacity_bytes);

  // Reserves `bytes` now and returns true, or returns false and later posts `granted` to
  // `executor` once the bytes are reserved for the caller.
  bool acquire_or_wait(std::int64_t bytes, asio::any_io_executor executor,
                       std::function<void()> granted);
  void release(std::int64_t bytes);
  // Drops every waiter without granting it (broker shutdown): waiters hold connections.
  void cancel_waiters();

  // An unzeroed buffer of `bytes` whose reservation, already taken, is released when the
  // last reference to it goes away, on whichever thread that happens.
  std::shared_ptr<protocol::FrameBuffer> make_buffer(std::int64_t bytes);

  std::int64_t capacity() const { return capacity_; }
  std::int64_t in_use() const;
  std::size_t waiting() const;

 private:
  explicit RequestMemoryBudget(std::int64_t capacity_bytes) : capacity_(capacity_bytes) {}
  bool fits(std::int64_t bytes) const { return in_use_ == 0 || in_use_ + bytes <= capacity_; }

  struct Waiter {
    std::int64_t bytes;
    asio::any_io_executor executor;
    std::function<void()> granted;
  };

  const std::int64_t capacity_;
  mutable std::mutex mutex_;
  std::int64_t in_use_ = 0;
  std::deque<Waiter> waiters_;
};

}  // namespace weir
