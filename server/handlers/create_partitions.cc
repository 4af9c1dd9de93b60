// CreatePartitions (key 37): grows a topic's partition count (never shrinks it), with
// validate_only and the replica assignments a single broker can honour.
#include <fmt/format.h>

#include <set>

#include "protocol/generated/create_partitions_request.h"
#include "protocol/generated/create_partitions_response.h"
#include "server/handlers/handlers.h"
#include "server/handlers/storage_errors.h"

namespace weir::handlers {
namespace {

using protocol::CreatePartitionsRequest;
using protocol::CreatePartitionsResponse;
using protocol::ErrorCode;
using TopicResult = CreatePartitionsResponse::CreatePartitionsTopicResult;

TopicResult failure(const std::string& name, ErrorCode error, std::string message) {
  TopicResult result;
  result.name = name;
  result.error_code = protocol::code(error);
  result.error_message = std::move(message);
  return result;
}

TopicResult grow(RequestContext& context,
                 const CreatePartitionsRequest::CreatePartitionsTopic& wanted, bool validate_only) {
  storage::Store& store = context.services.store;
  const std::int32_t node_id = context.services.config.node_id;
  auto topic = store.find_topic(wanted.name);
  if (!topic)
    return failure(wanted.name, ErrorCode::unknown_topic_or_partition,
                   fmt::format("The topic '{}' does not exist.", wanted.name));
  // Kafka's wording for both cases.
  if (wanted.count == topic->partition_count)
    return failure(wanted.name, ErrorCode::invalid_partitions,
                   fmt::format("Topic already has {} partitions.", topic->partition_count));
  if (wanted.count < topic->partition_count)
    return failure(
        wanted.name, ErrorCode::invalid_partitions,
        fmt::format("Topic currently has {} partitions, which is higher than the requested {}.",
                    topic->partition_count, wanted.count));
  if (wanted.assignments) {
    const auto added = static_cast<std::size_t>(wanted.count - topic->partition_count);
    if (wanted.assignments->size() != added)
      return failure(
          wanted.name, ErrorCode::invalid_replica_assignment,
          fmt::format("Increasing the number of partitions by {} but {} assignments provided.",
                      added, wanted.assignments->size()));
    for (const auto& assignment : *wanted.assignments)
      if (assignment.broker_ids != std::vector<std::int32_t>{node_id})
        return failure(
            wanted.name, ErrorCode::invalid_replica_assignment,
            fmt::format("every new partition must be assigned to broker {} only", node_id));
  }
  TopicResult result;
  result.name = wanted.name;
  // Storage applies the same limit; checking it here names it, and covers validate_only.
  if (wanted.count > store.max_partitions_per_topic())
    return failure(
        wanted.name, ErrorCode::invalid_partitions,
        fmt::format("at most {} partitions per topic", store.max_partitions_per_topic()));
  if (validate_only) return result;
  auto grown = store.create_partitions(wanted.name, wanted.count);
  if (grown == storage::StorageErrc::invalid_partitions)
    return failure(
        wanted.name, ErrorCode::invalid_partitions,
        fmt::format("cannot grow topic '{}' to {} partitions", wanted.name, wanted.count));
  if (grown != storage::StorageErrc::ok)
    return failure(wanted.name, to_error_code(grown),
                   fmt::format("cannot grow topic '{}'", wanted.name));
  return result;
}

}  // namespace

void create_partitions(RequestContext& context, ReplyCallback done) {
  CreatePartitionsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  CreatePartitionsResponse response;
  std::multiset<std::string> named;
  for (const auto& topic : request.topics) named.insert(topic.name);
  for (const auto& topic : request.topics) {
    // Kafka refuses every entry of a topic named more than once.
    if (named.count(topic.name) > 1) {
      response.results.push_back(
          failure(topic.name, ErrorCode::invalid_request, "Duplicate topic in request."));
      continue;
    }
    response.results.push_back(grow(context, topic, request.validate_only));
  }
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
