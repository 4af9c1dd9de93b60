// Accepts TCP connections and hands each to a network thread.
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>

#include "server/config.h"
#include "server/network/connection.h"
#include "server/network/connection_registry.h"
#include "server/network/network_threads.h"

namespace weir {

class Listener {
 public:
  // Binds immediately so start-up fails fast on a busy port; throws std::system_error.
  Listener(asio::io_context& accept_context, NetworkThreads& threads, const HostPort& bind_address,
           RequestRouter& router, ConnectionLimits limits, ConnectionRegistry& connections);
  void start();
  void stop();
  std::uint16_t port() const;

 private:
  void accept_next();

  asio::ip::tcp::acceptor acceptor_;
  NetworkThreads& threads_;
  RequestRouter& router_;
  ConnectionLimits limits_;
  ConnectionRegistry& connections_;
};

}  // namespace weir
