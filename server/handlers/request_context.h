// What every handler gets: the broker-wide services and the request being served.
#pragma once

#include <asio.hpp>
#include <memory>
#include <string>

#include "protocol/framing/frame_buffer.h"
#include "protocol/framing/request.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"
#include "server/broker_metrics.h"
#include "server/config.h"
#include "server/network/reply.h"
#include "storage/store.h"

namespace weir {

class FetchWaiters;
class GroupCoordinatorThread;

// Broker-wide services shared by all handlers. Each member is thread-safe.
struct BrokerServices {
  const Config& config;
  storage::Store& store;
  FetchWaiters& fetch_waiters;
  GroupCoordinatorThread& groups;
  const BrokerMetrics& metrics;
};

struct RequestContext {
  BrokerServices& services;
  protocol::RequestHeader header;
  protocol::BytesView body;
  // Keeps `body` (and any records view decoded from it) alive while the request is served.
  std::shared_ptr<const protocol::FrameBuffer> frame;
  // The connection's executor: asynchronous completions must come back through it.
  asio::any_io_executor executor;
  // The client's address as Kafka reports it in DescribeGroups ("/127.0.0.1").
  std::string client_host;

  std::int16_t version() const { return header.request_api_version; }
};

// Decodes the request body at the request's version. False means the body is malformed,
// and Kafka closes the connection for that.
template <typename Request>
bool decode_request(const RequestContext& context, Request* request) {
  protocol::Reader reader(context.body);
  return request->decode(reader, context.version()) && reader.ok();
}

// Every response goes through here, so this is where its error codes are counted.
template <typename Response>
Reply encode_reply(const RequestContext& context, const Response& response) {
  context.services.metrics.count_errors(context.header.request_api_key, response);
  protocol::Writer writer;
  protocol::begin_response_frame(writer, context.header.correlation_id,
                                 context.header.request_api_key, context.version());
  response.encode(writer, context.version());
  protocol::finish_response_frame(writer);
  return Reply::send(writer.take());
}

// A handler serves one request and calls `done` exactly once on context.executor.
using Handler = void (*)(RequestContext& context, ReplyCallback done);

}  // namespace weir
