#include "server/network/connection_registry.h"

#include <vector>

namespace weir {

void ConnectionRegistry::add(const std::shared_ptr<Connection>& connection) {
  {
    std::lock_guard lock(mutex_);
    connections_.emplace(connection.get(), connection);
  }
  connection->set_closed_listener([this, raw = connection.get()] { remove(raw); });
}

void ConnectionRegistry::remove(const Connection* connection) {
  std::lock_guard lock(mutex_);
  connections_.erase(connection);
  if (connections_.empty()) emptied_.notify_all();
}

std::size_t ConnectionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

void ConnectionRegistry::post_to_each(const std::function<void(Connection&)>& action) {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    // A connection destroyed without closing (its thread stopped) never left: drop it here.
    std::erase_if(connections_, [](const auto& entry) { return entry.second.expired(); });
    for (const auto& [raw, weak] : connections_)
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    if (connections_.empty()) emptied_.notify_all();
  }
  for (auto& connection : open)
    asio::post(connection->socket_executor(), [connection, action] { action(*connection); });
}

bool ConnectionRegistry::wait_until_empty(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return emptied_.wait_until(lock, deadline, [this] { return connections_.empty(); });
}

}  // namespace weir
