// AlterConfigs (key 33): replaces every override of a topic with the given set, as Kafka's
// legacy AlterConfigs does; validated first, stored only if every entry is valid.
#include <fmt/format.h>

#include <set>

#include "protocol/generated/alter_configs_request.h"
#include "protocol/generated/alter_configs_response.h"
#include "server/handlers/config_resources.h"
#include "server/handlers/handlers.h"

namespace weir::handlers {
namespace {

using protocol::AlterConfigsRequest;
using protocol::AlterConfigsResponse;
using protocol::ErrorCode;

configs::AlterOutcome alter_topic(RequestContext& context,
                                  const AlterConfigsRequest::AlterConfigsResource& resource,
                                  bool validate_only) {
  std::map<std::string, std::string> current;
  if (auto refused =
          configs::load_topic_overrides(context.services.store, resource.resource_name, &current))
    return *refused;
  std::map<std::string, std::string> replacement;
  for (const auto& entry : resource.configs) {
    if (!entry.value)
      return {ErrorCode::invalid_request,
              fmt::format("Null value not supported for : {}", entry.name)};
    if (!replacement.emplace(entry.name, *entry.value).second)
      return {ErrorCode::invalid_request,
              fmt::format("Error due to duplicate config keys: {}", entry.name)};
  }
  return configs::store_topic_overrides(context.services.store, resource.resource_name,
                                        std::move(replacement), validate_only);
}

}  // namespace

void alter_configs(RequestContext& context, ReplyCallback done) {
  AlterConfigsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  auto response = configs::alter_resources<AlterConfigsResponse>(
      context.services.config, request,
      [&](const auto& resource) { return alter_topic(context, resource, request.validate_only); });
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
