// FindCoordinator (key 10): this broker coordinates every group (and transactional id).
// v0-3 ask for one key; v4+ batch them in coordinator_keys and get one entry per key.
#include "protocol/framing/error_code.h"
#include "protocol/generated/find_coordinator_request.h"
#include "protocol/generated/find_coordinator_response.h"
#include "server/handlers/handlers.h"

namespace weir::handlers {
namespace {

using protocol::ErrorCode;
using protocol::FindCoordinatorRequest;
using protocol::FindCoordinatorResponse;

constexpr std::int8_t group_key_type = 0;
constexpr std::int8_t transaction_key_type = 1;

}  // namespace

void find_coordinator(RequestContext& context, ReplyCallback done) {
  FindCoordinatorRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  const Config& config = context.services.config;
  const bool known_type =
      request.key_type == group_key_type || request.key_type == transaction_key_type;
  const ErrorCode error = known_type ? ErrorCode::none : ErrorCode::invalid_request;
  FindCoordinatorResponse response;
  if (context.version() < 4) {
    response.error_code = protocol::code(error);
    response.error_message =
        known_type ? std::nullopt : std::optional<std::string>("unknown key type");
    response.node_id = known_type ? config.node_id : -1;
    response.host = known_type ? config.advertised_address.host : "";
    response.port = known_type ? config.advertised_address.port : -1;
    return done(encode_reply(context, response));
  }
  for (const auto& key : request.coordinator_keys) {
    FindCoordinatorResponse::Coordinator coordinator;
    coordinator.key = key;
    coordinator.error_code = protocol::code(error);
    coordinator.error_message =
        known_type ? std::nullopt : std::optional<std::string>("unknown key type");
    coordinator.node_id = known_type ? config.node_id : -1;
    coordinator.host = known_type ? config.advertised_address.host : "";
    coordinator.port = known_type ? config.advertised_address.port : -1;
    response.coordinators.push_back(std::move(coordinator));
  }
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
