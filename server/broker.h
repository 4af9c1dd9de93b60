// Wires the broker together: network threads, the Kafka listener, the request router
// and the storage it serves from. The accept loop and signal handling run on the
// caller's io_context; connections run on the network threads.
#pragma once

#include <asio.hpp>
#include <memory>

#include "server/config.h"
#include "server/dispatch/router.h"
#include "server/groups/coordinator_thread.h"
#include "server/handlers/fetch_waiters.h"
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
  void stop();
  std::uint16_t port() const { return listener_.port(); }

 private:
  const Config& config_;
  storage::Store& store_;
  FetchWaiters fetch_waiters_;
  BrokerServices services_;
  Router router_;
  NetworkThreads threads_;
  // After threads_: destroyed first, so parked group replies (which hold connections)
  // go before the network threads they belong to.
  GroupCoordinatorThread groups_;
  Listener listener_;
  bool stopped_ = false;
};

}  // namespace weir
