// DescribeCluster (key 60): this broker is the whole cluster and its controller.
#include "protocol/framing/error_code.h"
#include "protocol/generated/describe_cluster_request.h"
#include "protocol/generated/describe_cluster_response.h"
#include "server/handlers/handlers.h"

namespace weir::handlers {
namespace {

// Kafka's AclOperation codes allowed on a cluster resource; with no authorizer every
// operation is allowed.
constexpr std::int32_t cluster_operations =
    (1 << 4) /* ALTER */ | (1 << 7) /* CREATE */ | (1 << 8) /* DESCRIBE */ |
    (1 << 9) /* CLUSTER_ACTION */ | (1 << 10) /* DESCRIBE_CONFIGS */ |
    (1 << 11) /* ALTER_CONFIGS */ | (1 << 12) /* IDEMPOTENT_WRITE */;
constexpr std::int8_t endpoint_brokers = 1;

}  // namespace

void describe_cluster(RequestContext& context, ReplyCallback done) {
  protocol::DescribeClusterRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  const Config& config = context.services.config;
  protocol::DescribeClusterResponse response;
  response.endpoint_type = request.endpoint_type;
  if (request.endpoint_type != endpoint_brokers) {
    // Kafka brokers answer UNSUPPORTED_ENDPOINT_TYPE here; older clients know no such
    // code, and none of them asks for controllers, so INVALID_REQUEST says it plainly.
    response.error_code = protocol::code(protocol::ErrorCode::invalid_request);
    response.error_message = "only broker endpoints (type 1) can be described";
    return done(encode_reply(context, response));
  }
  response.cluster_id = context.services.store.cluster_id();
  response.controller_id = config.node_id;
  protocol::DescribeClusterResponse::DescribeClusterBroker broker;
  broker.broker_id = config.node_id;
  broker.host = config.advertised_address.host;
  broker.port = config.advertised_address.port;
  response.brokers.push_back(std::move(broker));
  if (request.include_cluster_authorized_operations)
    response.cluster_authorized_operations = cluster_operations;
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
