// Accepts TCP connections, asks admission control about each peer before anything is
// allocated for it, and hands each admitted connection to a network thread. A listener
// with a TLS context serves TLS; one without serves plaintext.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <memory>
#include <string>

#include "server/config.h"
#include "server/network/admission.h"
#include "server/network/connection.h"
#include "server/network/connection_registry.h"
#include "server/network/network_threads.h"

namespace weir {

class Listener {
 public:
  // Binds immediately so start-up fails fast on a busy port; throws std::system_error.
  // `tls_context`, when set, must outlive the listener and its connections' handshakes.
  // Every admitted connection is added to `connections` until it closes.
  Listener(asio::io_context& accept_context, NetworkThreads& threads, const HostPort& bind_address,
           std::shared_ptr<Admission> admission, ConnectionServices services,
           asio::ssl::context* tls_context, ConnectionRegistry& connections);
  void start();
  void stop();
  std::uint16_t port() const;

 private:
  void accept_next();
  void admit(asio::ip::tcp::socket socket);

  asio::ip::tcp::acceptor acceptor_;
  NetworkThreads& threads_;
  std::shared_ptr<Admission> admission_;
  ConnectionServices services_;
  asio::ssl::context* tls_context_;
  ConnectionRegistry& connections_;
};

}  // namespace weir
