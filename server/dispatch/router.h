// Parses each request's header and routes it to the handler for its API key. A request
// for an API or version we do not serve closes the connection, as Kafka does, except
// ApiVersions, which always gets an answer so clients can negotiate.
#pragma once

#include "server/handlers/request_context.h"
#include "server/network/connection.h"

namespace weir {

class Router : public RequestRouter {
 public:
  explicit Router(BrokerServices& services) : services_(services) {}
  void route(std::shared_ptr<const protocol::FrameBuffer> frame, asio::any_io_executor executor,
             std::string_view client_host, ReplyCallback done) override;

 private:
  BrokerServices& services_;
};

}  // namespace weir
