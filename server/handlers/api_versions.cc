// ApiVersions (key 18): what we serve, from the same table that routes requests.
#include <regex>

#include "protocol/framing/error_code.h"
#include "protocol/generated/api_versions_request.h"
#include "protocol/generated/api_versions_response.h"
#include "server/dispatch/api_table.h"
#include "server/handlers/handlers.h"

namespace weir::handlers {
namespace {

using protocol::ApiVersionsRequest;
using protocol::ApiVersionsResponse;
using protocol::ErrorCode;

constexpr std::int16_t api_versions_key = 18;

// KIP-511: client software names and versions must match this, or the Java broker
// answers INVALID_REQUEST (librdkafka then retries at v0).
bool valid_client_software_field(const std::string& text) {
  static const std::regex pattern("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");
  return std::regex_match(text, pattern);
}

ApiVersionsResponse served_versions() {
  ApiVersionsResponse response;
  for (const ApiEntry& api : served_apis()) {
    ApiVersionsResponse::ApiVersion entry;
    entry.api_key = api.api_key;
    entry.min_version = api.min_version;
    entry.max_version = api.max_version;
    response.api_keys.push_back(entry);
  }
  return response;
}

}  // namespace

void api_versions(RequestContext& context, ReplyCallback done) {
  ApiVersionsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  ApiVersionsResponse response = served_versions();
  if (context.version() >= 3 && (!valid_client_software_field(request.client_software_name) ||
                                 !valid_client_software_field(request.client_software_version))) {
    response.error_code = protocol::code(ErrorCode::invalid_request);
  }
  done(encode_reply(context, response));
}

Reply unsupported_api_versions_reply(std::int32_t correlation_id) {
  const ApiEntry* self = find_served_api(api_versions_key);
  ApiVersionsResponse response;
  response.error_code = protocol::code(ErrorCode::unsupported_version);
  ApiVersionsResponse::ApiVersion entry;
  entry.api_key = api_versions_key;
  entry.min_version = self->min_version;
  entry.max_version = self->max_version;
  response.api_keys.push_back(entry);
  protocol::Writer writer;
  protocol::begin_response_frame(writer, correlation_id, api_versions_key, 0);
  response.encode(writer, 0);
  protocol::finish_response_frame(writer);
  return Reply::send(writer.take());
}

}  // namespace weir::handlers
