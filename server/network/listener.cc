#include "server/network/listener.h"

#include "server/log.h"

namespace weir {

Listener::Listener(asio::io_context& accept_context, NetworkThreads& threads, const HostPort& bind_address,
                   RequestRouter& router, ConnectionLimits limits, ConnectionRegistry& connections)
    : acceptor_(accept_context), threads_(threads), router_(router), limits_(limits), connections_(connections) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(bind_address.host), bind_address.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::start() { accept_next(); }

void Listener::stop() {
  asio::error_code ignored;
  acceptor_.close(ignored);
}

std::uint16_t Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::accept_next() {
  acceptor_.async_accept(threads_.next(), [this](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (error) {
      // Out of file descriptors and similar: keep listening rather than dying.
      log::warn("accept failed: {}", error.message());
    } else {
      auto connection = std::make_shared<Connection>(std::move(socket), router_, limits_);
      connections_.add(connection);
      asio::post(connection->socket_executor(), [connection] { connection->start(); });
    }
    accept_next();
  });
}

}  // namespace weir
