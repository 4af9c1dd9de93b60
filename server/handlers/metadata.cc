// Metadata (key 3): this single broker leads every partition; unknown topics are created
// on request when auto-creation is on, as Kafka's auto.create.topics.enable does.
#include "protocol/generated/metadata_request.h"
#include "protocol/generated/metadata_response.h"
#include "server/handlers/handlers.h"
#include "server/handlers/storage_errors.h"

namespace weir::handlers {
namespace {

using protocol::MetadataRequest;
using protocol::MetadataResponse;

// Leader epochs must never decrease (clients ignore older metadata); with one broker
// and no leader changes the epoch is constant.
constexpr std::int32_t leader_epoch = 0;

MetadataResponse::MetadataResponseTopic describe_topic(const storage::TopicDescription& topic,
                                                       std::int32_t node_id) {
  MetadataResponse::MetadataResponseTopic result;
  result.name = topic.name;
  result.topic_id = topic.topic_id;
  for (std::int32_t index = 0; index < topic.partition_count; ++index) {
    MetadataResponse::MetadataResponsePartition partition;
    partition.partition_index = index;
    partition.leader_id = node_id;
    partition.leader_epoch = leader_epoch;
    partition.replica_nodes = {node_id};
    partition.isr_nodes = {node_id};
    result.partitions.push_back(std::move(partition));
  }
  return result;
}

MetadataResponse::MetadataResponseTopic topic_error(std::optional<std::string> name,
                                                    protocol::Uuid topic_id,
                                                    protocol::ErrorCode error) {
  MetadataResponse::MetadataResponseTopic result;
  result.name = std::move(name);
  result.topic_id = topic_id;
  result.error_code = protocol::code(error);
  return result;
}

MetadataResponse::MetadataResponseTopic lookup_or_create(const Config& config,
                                                         storage::Store& store,
                                                         const std::string& name,
                                                         bool allow_create) {
  if (auto topic = store.find_topic(name)) return describe_topic(*topic, config.node_id);
  if (!allow_create || !config.auto_create_topics)
    return topic_error(name, {}, protocol::ErrorCode::unknown_topic_or_partition);
  storage::TopicDescription created;
  auto result = store.create_topic(name, config.default_partitions, {}, &created);
  if (result == storage::StorageErrc::topic_already_exists) {
    if (auto topic = store.find_topic(name)) return describe_topic(*topic, config.node_id);
  }
  if (result != storage::StorageErrc::ok) return topic_error(name, {}, to_error_code(result));
  return describe_topic(created, config.node_id);
}

MetadataResponse::MetadataResponseTopic lookup_requested(
    const Config& config, storage::Store& store,
    const MetadataRequest::MetadataRequestTopic& wanted, bool allow_create) {
  if (wanted.name) return lookup_or_create(config, store, *wanted.name, allow_create);
  // v10+: a topic may be named by id alone.
  if (auto topic = store.find_topic(wanted.topic_id)) return describe_topic(*topic, config.node_id);
  return topic_error(std::nullopt, wanted.topic_id, protocol::ErrorCode::unknown_topic_id);
}

}  // namespace

void metadata(RequestContext& context, ReplyCallback done) {
  MetadataRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  const Config& config = context.services.config;
  storage::Store& store = context.services.store;

  MetadataResponse response;
  MetadataResponse::MetadataResponseBroker broker;
  broker.node_id = config.node_id;
  broker.host = config.advertised_address.host;
  broker.port = config.advertised_address.port;
  response.brokers.push_back(std::move(broker));
  response.cluster_id = store.cluster_id();
  response.controller_id = config.node_id;

  // A null list means every topic (v1+); in v0 an empty list means every topic.
  const bool all_topics = !request.topics || (context.version() == 0 && request.topics->empty());
  if (all_topics) {
    for (const auto& topic : store.list_topics())
      response.topics.push_back(describe_topic(topic, config.node_id));
  } else {
    // Before v4 the request has no AllowAutoTopicCreation field and Kafka auto-creates.
    const bool allow_create = context.version() < 4 || request.allow_auto_topic_creation;
    for (const auto& wanted : *request.topics)
      response.topics.push_back(lookup_requested(config, store, wanted, allow_create));
  }
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
