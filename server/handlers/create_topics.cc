// CreateTopics (key 19): per-topic results, validate_only, and the replication factor
// a single broker can honour (1, or -1 for the default).
#include <fmt/format.h>

#include <map>
#include <set>

#include "protocol/generated/create_topics_request.h"
#include "protocol/generated/create_topics_response.h"
#include "server/handlers/config_resources.h"
#include "server/handlers/handlers.h"
#include "server/handlers/storage_errors.h"
#include "storage/topic_config.h"

namespace weir::handlers {
namespace {

using protocol::CreateTopicsRequest;
using protocol::CreateTopicsResponse;
using protocol::ErrorCode;
using TopicResult = CreateTopicsResponse::CreatableTopicResult;

struct TopicPlan {
  std::int32_t partitions = 0;
  std::map<std::string, std::string> configs;
};

TopicResult failure(const std::string& name, ErrorCode error, std::string message) {
  TopicResult result;
  result.name = name;
  result.error_code = protocol::code(error);
  result.error_message = std::move(message);
  return result;
}

// Checks what storage cannot: replication and manual assignments for a one-node cluster.
std::optional<TopicResult> check_request(const Config& config,
                                         const CreateTopicsRequest::CreatableTopic& topic,
                                         TopicPlan* plan) {
  if (topic.replication_factor != -1 && topic.replication_factor != 1)
    return failure(topic.name, ErrorCode::invalid_replication_factor,
                   fmt::format("replication factor {} is larger than the 1 available broker",
                               topic.replication_factor));
  if (!topic.assignments.empty()) {
    if (topic.num_partitions != -1)
      return failure(topic.name, ErrorCode::invalid_request,
                     "set either num_partitions or assignments, not both");
    for (std::size_t i = 0; i < topic.assignments.size(); ++i) {
      const auto& assignment = topic.assignments[i];
      if (assignment.partition_index != static_cast<std::int32_t>(i) ||
          assignment.broker_ids.size() != 1 || assignment.broker_ids[0] != config.node_id)
        return failure(
            topic.name, ErrorCode::invalid_replica_assignment,
            fmt::format("partition {} must be assigned to broker {} only", i, config.node_id));
    }
    plan->partitions = static_cast<std::int32_t>(topic.assignments.size());
  } else {
    plan->partitions =
        topic.num_partitions == -1 ? config.default_partitions : topic.num_partitions;
  }
  if (plan->partitions <= 0)
    return failure(topic.name, ErrorCode::invalid_partitions,
                   "the number of partitions must be at least 1");
  for (const auto& entry : topic.configs) {
    if (!entry.value)
      return failure(topic.name, ErrorCode::invalid_config,
                     fmt::format("config {} has a null value", entry.name));
    plan->configs[entry.name] = *entry.value;
  }
  if (auto refused = storage::validate_topic_configs(&plan->configs))
    return failure(topic.name, ErrorCode::invalid_config, refused->message);
  return std::nullopt;
}

TopicResult created(const storage::TopicDescription& topic, const Config& broker) {
  TopicResult result;
  result.name = topic.name;
  result.topic_id = topic.topic_id;
  result.num_partitions = topic.partition_count;
  result.replication_factor = 1;
  // v5+ carry every config of the new topic, as DescribeConfigs would show it.
  result.configs.emplace();
  for (const auto& entry :
       configs::describe_topic(topic.configs, configs::static_broker_configs(broker))) {
    CreateTopicsResponse::CreatableTopicConfigs config;
    config.name = entry.name;
    config.value = entry.value;
    config.read_only = entry.read_only;
    config.config_source = static_cast<std::int8_t>(entry.source);
    result.configs->push_back(std::move(config));
  }
  return result;
}

TopicResult create_one(RequestContext& context, const CreateTopicsRequest::CreatableTopic& topic,
                       bool validate_only) {
  storage::Store& store = context.services.store;
  TopicPlan plan;
  if (auto refused = check_request(context.services.config, topic, &plan)) return *refused;
  if (validate_only) {
    if (store.find_topic(topic.name))
      return failure(topic.name, ErrorCode::topic_already_exists,
                     fmt::format("topic '{}' already exists", topic.name));
    storage::TopicDescription would_be;
    would_be.name = topic.name;
    would_be.partition_count = plan.partitions;
    would_be.configs = plan.configs;
    return created(would_be, context.services.config);
  }
  storage::TopicDescription description;
  auto result = store.create_topic(topic.name, plan.partitions, plan.configs, &description);
  if (result != storage::StorageErrc::ok) {
    auto message = result == storage::StorageErrc::topic_already_exists
                       ? fmt::format("topic '{}' already exists", topic.name)
                       : fmt::format("cannot create topic '{}'", topic.name);
    return failure(topic.name, to_error_code(result), message);
  }
  return created(description, context.services.config);
}

}  // namespace

void create_topics(RequestContext& context, ReplyCallback done) {
  CreateTopicsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  CreateTopicsResponse response;
  std::set<std::string> seen;
  for (const auto& topic : request.topics) {
    // Kafka refuses a request that names the same topic twice, for each duplicate.
    if (!seen.insert(topic.name).second) {
      response.topics.push_back(
          failure(topic.name, ErrorCode::invalid_request, "topic named more than once"));
      continue;
    }
    response.topics.push_back(create_one(context, topic, request.validate_only));
  }
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
