// Wires the broker together: network threads, the Kafka listener, the request router
// and the storage it serves from. The accept loop and signal handling run on the
// caller's io_context; connections run on the network threads.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <memory>

#include "server/config.h"
#include "server/dispatch/router.h"
#include "server/handlers/fetch_waiters.h"
#include "server/network/connection_registry.h"
#include "server/network/listener.h"
#include "server/network/network_threads.h"
#include "storage/store.h"

namespace weir {

class Broker {
 public:
  // Binds the listener; throws std::system_error when the address cannot be bound.
  Broker(asio::io_context& accept_context, const Config& config, storage::Store& store);
  ~Broker();
  void start();
  // Graceful shutdown, in two steps so the caller can bound the wait. begin_shutdown
  // stops accepting and asks every connection to answer the requests it has read, then
  // close. finish_shutdown waits for that until `deadline`, closes what is left, and
  // stops the network threads; it returns how many connections had to be cut off.
  void begin_shutdown();
  std::size_t finish_shutdown(std::chrono::steady_clock::time_point deadline);
  void stop();
  std::uint16_t port() const { return listener_.port(); }

 private:
  const Config& config_;
  storage::Store& store_;
  FetchWaiters fetch_waiters_;
  BrokerServices services_;
  Router router_;
  NetworkThreads threads_;
  ConnectionRegistry connections_;
  Listener listener_;
  bool stopped_ = false;
};

}  // namespace weir
