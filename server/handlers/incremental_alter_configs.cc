// IncrementalAlterConfigs (key 44): SET, DELETE, APPEND and SUBTRACT on a topic's
// overrides. APPEND and SUBTRACT apply to list configs only and start from the current
// value (the default when the key is not overridden), as in Kafka.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "protocol/generated/incremental_alter_configs_request.h"
#include "protocol/generated/incremental_alter_configs_response.h"
#include "server/handlers/config_resources.h"
#include "server/handlers/handlers.h"
#include "storage/topic_config.h"

namespace weir::handlers {
namespace {

using protocol::ErrorCode;
using protocol::IncrementalAlterConfigsRequest;
using protocol::IncrementalAlterConfigsResponse;
using Operation = IncrementalAlterConfigsRequest::AlterableConfig;

// Kafka's AlterConfigOp.OpType values.
enum : std::int8_t { op_set = 0, op_delete = 1, op_append = 2, op_subtract = 3 };

std::vector<std::string> list_items(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    auto first = item.find_first_not_of(" \t");
    if (first != std::string_view::npos)
      item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
    else
      item = {};
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

std::string join(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : ",") + item;
  return joined;
}

// Applies one operation to `overrides`; returns the refusal, or nullopt.
std::optional<configs::AlterOutcome> apply(const Operation& operation,
                                           std::map<std::string, std::string>* overrides) {
  const auto* definition = storage::find_topic_config(operation.name);
  if (!definition)
    return configs::AlterOutcome{ErrorCode::invalid_config,
                                 fmt::format("Unknown topic config name: {}", operation.name)};
  if (operation.config_operation == op_delete) {
    overrides->erase(operation.name);
    return std::nullopt;
  }
  if (operation.config_operation != op_set && operation.config_operation != op_append &&
      operation.config_operation != op_subtract)
    return configs::AlterOutcome{ErrorCode::invalid_request,
                                 fmt::format("unknown config operation {} for {}",
                                             operation.config_operation, operation.name)};
  if (!operation.value)
    return configs::AlterOutcome{ErrorCode::invalid_request,
                                 fmt::format("Null value not supported for : {}", operation.name)};
  if (operation.config_operation == op_set) {
    (*overrides)[operation.name] = *operation.value;
    return std::nullopt;
  }
  if (definition->type != storage::ConfigType::list)
    return configs::AlterOutcome{
        ErrorCode::invalid_config,
        fmt::format("Config value {} is not allowed for config key: {}",
                    operation.config_operation == op_append ? "append" : "subtract",
                    operation.name)};
  auto current = overrides->count(operation.name) ? overrides->at(operation.name)
                                                  : std::string(definition->default_value);
  auto items = list_items(current);
  for (const auto& item : list_items(*operation.value)) {
    auto found = std::find(items.begin(), items.end(), item);
    if (operation.config_operation == op_append && found == items.end()) items.push_back(item);
    if (operation.config_operation == op_subtract && found != items.end()) items.erase(found);
  }
  (*overrides)[operation.name] = join(items);
  return std::nullopt;
}

configs::AlterOutcome alter_topic(
    RequestContext& context, const IncrementalAlterConfigsRequest::AlterConfigsResource& resource,
    bool validate_only) {
  std::map<std::string, std::string> overrides;
  if (auto refused =
          configs::load_topic_overrides(context.services.store, resource.resource_name, &overrides))
    return *refused;
  std::set<std::string> seen;
  for (const auto& operation : resource.configs) {
    if (!seen.insert(operation.name).second)
      return {ErrorCode::invalid_request,
              fmt::format("Error due to duplicate config keys: {}", operation.name)};
    if (auto refused = apply(operation, &overrides)) return *refused;
  }
  return configs::store_topic_overrides(context.services.store, resource.resource_name,
                                        std::move(overrides), validate_only);
}

}  // namespace

void incremental_alter_configs(RequestContext& context, ReplyCallback done) {
  IncrementalAlterConfigsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  auto response = configs::alter_resources<IncrementalAlterConfigsResponse>(
      context.services.config, request,
      [&](const auto& resource) { return alter_topic(context, resource, request.validate_only); });
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
