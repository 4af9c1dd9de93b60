// DeleteTopics (key 20): by name (v0-5 `topic_names`, v6 `topics[].name`) or, from v6, by
// topic id. Storage deletes each topic's data with range deletes; a topic created later
// with the same name starts empty with a new id.
#include <fmt/format.h>

#include <set>

#include "protocol/generated/delete_topics_request.h"
#include "protocol/generated/delete_topics_response.h"
#include "server/groups/coordinator_thread.h"
#include "server/handlers/handlers.h"
#include "server/handlers/storage_errors.h"

namespace weir::handlers {
namespace {

using protocol::DeleteTopicsRequest;
using protocol::DeleteTopicsResponse;
using protocol::ErrorCode;
using TopicResult = DeleteTopicsResponse::DeletableTopicResult;

constexpr std::int16_t first_version_with_topic_ids = 6;

TopicResult failure(std::optional<std::string> name, const protocol::Uuid& topic_id,
                    ErrorCode error, std::string message) {
  TopicResult result;
  result.name = std::move(name);
  result.topic_id = topic_id;
  result.error_code = protocol::code(error);
  result.error_message = std::move(message);
  return result;
}

TopicResult delete_one(storage::Store& store, const DeleteTopicsRequest::DeleteTopicState& wanted) {
  const bool has_id = wanted.topic_id != protocol::Uuid{};
  if (wanted.name && has_id)
    return failure(wanted.name, wanted.topic_id, ErrorCode::invalid_request,
                   "set either the topic name or the topic id, not both");
  if (!wanted.name && !has_id)
    return failure(std::nullopt, wanted.topic_id, ErrorCode::invalid_request,
                   "neither a topic name nor a topic id");

  std::optional<storage::TopicDescription> topic =
      has_id ? store.find_topic(wanted.topic_id) : store.find_topic(*wanted.name);
  if (!topic) {
    return has_id ? failure(std::nullopt, wanted.topic_id, ErrorCode::unknown_topic_id,
                            "unknown topic id")
                  : failure(wanted.name, wanted.topic_id, ErrorCode::unknown_topic_or_partition,
                            fmt::format("topic '{}' does not exist", *wanted.name));
  }
  const storage::StorageErrc error = store.delete_topic(topic->name);
  if (error != storage::StorageErrc::ok)
    return failure(topic->name, topic->topic_id, to_error_code(error),
                   fmt::format("cannot delete topic '{}'", topic->name));
  TopicResult result;
  result.name = topic->name;
  result.topic_id = topic->topic_id;
  return result;
}

// Kafka removes the groups' committed offsets of a deleted topic. Posted before the reply,
// so any group request the client sends after the reply sees them gone.
void forget_committed_offsets(const RequestContext& context, const DeleteTopicsResponse& response) {
  std::vector<std::string> deleted;
  for (const auto& result : response.responses)
    if (result.error_code == protocol::code(ErrorCode::none) && result.name)
      deleted.push_back(*result.name);
  if (deleted.empty()) return;
  context.services.groups.post(
      [deleted = std::move(deleted)](groups::Coordinator& coordinator, groups::TimePoint) {
        for (const auto& topic : deleted) coordinator.remove_offsets_of_topic(topic);
      });
}

}  // namespace

void delete_topics(RequestContext& context, ReplyCallback done) {
  DeleteTopicsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  std::vector<DeleteTopicsRequest::DeleteTopicState> wanted = std::move(request.topics);
  if (context.version() < first_version_with_topic_ids) {
    for (auto& name : request.topic_names) {
      DeleteTopicsRequest::DeleteTopicState state;
      state.name = std::move(name);
      wanted.push_back(std::move(state));
    }
  }
  DeleteTopicsResponse response;
  std::set<std::string> names;
  std::set<protocol::Uuid> ids;
  for (const auto& topic : wanted) {
    // Kafka refuses every repetition of a name or id within one request.
    const bool repeated =
        topic.name ? !names.insert(*topic.name).second : !ids.insert(topic.topic_id).second;
    if (repeated) {
      response.responses.push_back(failure(topic.name, topic.topic_id, ErrorCode::invalid_request,
                                           "topic named more than once"));
      continue;
    }
    response.responses.push_back(delete_one(context.services.store, topic));
  }
  forget_committed_offsets(context, response);
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
