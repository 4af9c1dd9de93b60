// DescribeConfigs (key 32): topic and broker resources, with config sources, synonyms and
// documentation on request, as Apache Kafka reports them.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "protocol/generated/describe_configs_request.h"
#include "protocol/generated/describe_configs_response.h"
#include "server/handlers/config_resources.h"
#include "server/handlers/handlers.h"

namespace weir::handlers {
namespace {

using protocol::DescribeConfigsRequest;
using protocol::DescribeConfigsResponse;
using protocol::ErrorCode;
using Result = DescribeConfigsResponse::DescribeConfigsResult;

Result resource_error(const DescribeConfigsRequest::DescribeConfigsResource& resource,
                      ErrorCode error, std::string message) {
  Result result;
  result.resource_type = resource.resource_type;
  result.resource_name = resource.resource_name;
  result.error_code = protocol::code(error);
  result.error_message = std::move(message);
  return result;
}

DescribeConfigsResponse::DescribeConfigsResourceResult to_wire(
    const configs::Entry& entry, const DescribeConfigsRequest& request) {
  DescribeConfigsResponse::DescribeConfigsResourceResult result;
  result.name = entry.name;
  result.value = entry.value;
  result.read_only = entry.read_only;
  result.is_default = entry.source == configs::ConfigSource::default_config;
  result.config_source = static_cast<std::int8_t>(entry.source);
  result.config_type = entry.type;
  result.documentation =
      request.include_documentation ? std::optional(entry.documentation) : std::nullopt;
  if (request.include_synonyms) {
    for (const auto& synonym : entry.synonyms) {
      DescribeConfigsResponse::DescribeConfigsSynonym wire;
      wire.name = synonym.name;
      wire.value = synonym.value;
      wire.source = static_cast<std::int8_t>(synonym.source);
      result.synonyms.push_back(std::move(wire));
    }
  }
  return result;
}

Result describe(RequestContext& context,
                const DescribeConfigsRequest::DescribeConfigsResource& resource,
                const DescribeConfigsRequest& request) {
  const Config& config = context.services.config;
  std::vector<configs::Entry> entries;
  if (resource.resource_type == configs::resource_topic) {
    if (!storage::valid_topic_name(resource.resource_name))
      return resource_error(resource, ErrorCode::invalid_topic_exception,
                            fmt::format("'{}' is not a valid topic name", resource.resource_name));
    auto topic = context.services.store.find_topic(resource.resource_name);
    if (!topic)
      return resource_error(resource, ErrorCode::unknown_topic_or_partition,
                            fmt::format("topic '{}' does not exist", resource.resource_name));
    entries = configs::describe_topic(topic->configs, configs::static_broker_configs(config));
  } else if (resource.resource_type == configs::resource_broker) {
    // An empty name asks for the cluster-wide dynamic defaults, of which Weir has none.
    if (!resource.resource_name.empty()) {
      if (resource.resource_name != std::to_string(config.node_id))
        return resource_error(resource, ErrorCode::invalid_request,
                              fmt::format("broker {} is not this broker (id {})",
                                          resource.resource_name, config.node_id));
      entries = configs::describe_broker(
          config, std::filesystem::absolute(context.services.store.path()).string());
    }
  } else {
    return resource_error(
        resource, ErrorCode::invalid_request,
        fmt::format("configs of resource type {} are not supported; only topics (2) and "
                    "brokers (4) have configs",
                    resource.resource_type));
  }

  Result result;
  result.resource_type = resource.resource_type;
  result.resource_name = resource.resource_name;
  result.error_message = std::nullopt;
  const auto& wanted = resource.configuration_keys;
  for (const auto& entry : entries) {
    if (wanted && std::find(wanted->begin(), wanted->end(), entry.name) == wanted->end()) continue;
    result.configs.push_back(to_wire(entry, request));
  }
  return result;
}

}  // namespace

void describe_configs(RequestContext& context, ReplyCallback done) {
  DescribeConfigsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  DescribeConfigsResponse response;
  for (const auto& resource : request.resources)
    response.results.push_back(describe(context, resource, request));
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
