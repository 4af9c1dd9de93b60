// The open connections of all listeners, so a graceful shutdown can drain them and
// know when the last one has closed. Thread-safe: connections add themselves on the
// accept thread and leave on their own network thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "server/network/connection.h"

namespace weir {

class ConnectionRegistry {
 public:
  // Tracks `connection` until it closes (it must not have started yet).
  void add(const std::shared_ptr<Connection>& connection);
  std::size_t size() const;
  // Posts `action` to each open connection's own thread.
  void post_to_each(const std::function<void(Connection&)>& action);
  // True when every connection has closed before `deadline`.
  bool wait_until_empty(std::chrono::steady_clock::time_point deadline);

 private:
  void remove(const Connection* connection);

  mutable std::mutex mutex_;
  std::condition_variable emptied_;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> connections_;
};

}  // namespace weir
