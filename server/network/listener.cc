#include "server/network/listener.h"

#include <unistd.h>

#include "server/log.h"

namespace weir {

Listener::Listener(asio::io_context& accept_context, NetworkThreads& threads,
                   const HostPort& bind_address, std::shared_ptr<Admission> admission,
                   ConnectionServices services, asio::ssl::context* tls_context,
                   ConnectionRegistry& connections)
    : acceptor_(accept_context),
      threads_(threads),
      admission_(std::move(admission)),
      services_(std::move(services)),
      tls_context_(tls_context),
      connections_(connections) {
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

// The accepted socket belongs to the accept context until it is admitted: a refused one
// never touches a network thread, and a pending accept never holds a socket of a network
// thread's io_context, which is destroyed before the accept context at shutdown.
void Listener::accept_next() {
  acceptor_.async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (error) {
      // Out of file descriptors and similar: keep listening rather than dying.
      log::warn("accept failed: {}", error.message());
    } else {
      admit(std::move(socket));
    }
    accept_next();
  });
}

void Listener::admit(asio::ip::tcp::socket socket) {
  asio::error_code error;
  const auto peer = socket.remote_endpoint(error);
  if (error) return;  // gone already; the socket closes as it goes out of scope
  auto decision = admission_->admit(peer.address(), Admission::Clock::now());
  if (!decision.slot) {
    log::event(log::Level::debug, "connection refused",
               {{"peer", fmt::format("{}:{}", peer.address().to_string(), peer.port())},
                {"reason", describe(*decision.rejection)}});
    // A reset rather than an orderly close: the client learns at once, and a flood of
    // refused connections leaves no TIME_WAIT state behind on the broker.
    socket.set_option(asio::socket_base::linger(true, 0), error);
    socket.close(error);
    return;
  }
  asio::ip::tcp::socket on_network_thread(threads_.next());
  const auto descriptor = socket.release(error);
  if (!error) {
    on_network_thread.assign(peer.protocol(), descriptor, error);
    if (error) ::close(descriptor);
  }
  if (error) {
    log::warn("cannot hand a connection to a network thread: {}", error.message());
    return;
  }
  auto executor = on_network_thread.get_executor();
  std::shared_ptr<Connection> connection;
  if (tls_context_ != nullptr)
    connection =
        std::make_shared<TlsConnection>(TlsStream(std::move(on_network_thread), *tls_context_),
                                        std::move(*decision.slot), services_);
  else
    connection = std::make_shared<PlaintextConnection>(std::move(on_network_thread),
                                                       std::move(*decision.slot), services_);
  connections_.add(connection);
  asio::post(executor, [connection] { connection->start(); });
}

}  // namespace weir
