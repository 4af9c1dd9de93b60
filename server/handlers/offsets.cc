// OffsetCommit (8), OffsetFetch (9), OffsetDelete (47): committed consumer offsets, kept
// by the coordinator and persisted in the `offsets` column family. Partitions that do not
// exist are answered UNKNOWN_TOPIC_OR_PARTITION here, before the coordinator sees them.
#include <chrono>

#include "protocol/generated/offset_commit_request.h"
#include "protocol/generated/offset_commit_response.h"
#include "protocol/generated/offset_delete_request.h"
#include "protocol/generated/offset_delete_response.h"
#include "protocol/generated/offset_fetch_request.h"
#include "protocol/generated/offset_fetch_response.h"
#include "server/handlers/coordinator_call.h"
#include "server/handlers/handlers.h"

namespace weir::handlers {
namespace {

using protocol::ErrorCode;

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool partition_exists(const RequestContext& context, const std::string& topic,
                      std::int32_t partition) {
  return context.services.store.partition(topic, partition) != nullptr;
}

// --- OffsetCommit ---

struct CommitPlan {
  groups::CommitRequest commit;  // the partitions that exist
  std::vector<std::vector<ErrorCode>>
      known_errors;  // per request partition: unknown, or none (pending)
};

CommitPlan plan_commit(const RequestContext& context, protocol::OffsetCommitRequest& request) {
  CommitPlan plan;
  plan.commit.group_id = request.group_id;
  plan.commit.generation_id = request.generation_id_or_member_epoch;
  plan.commit.member_id = request.member_id;
  plan.commit.group_instance_id = request.group_instance_id;
  const std::int64_t now_ms = wall_clock_ms();
  for (const auto& topic : request.topics) {
    auto& errors = plan.known_errors.emplace_back();
    for (const auto& partition : topic.partitions) {
      if (!partition_exists(context, topic.name, partition.partition_index)) {
        errors.push_back(ErrorCode::unknown_topic_or_partition);
        continue;
      }
      errors.push_back(ErrorCode::none);
      plan.commit.offsets.push_back({topic.name, partition.partition_index,
                                     partition.committed_offset, partition.committed_leader_epoch,
                                     partition.committed_metadata.value_or(""), now_ms});
    }
  }
  return plan;
}

// --- OffsetFetch ---

std::optional<std::vector<storage::TopicPartitionName>> wanted_partitions(
    const auto& topics) {  // std::optional<std::vector<Topic{name, partition_indexes}>>
  if (!topics) return std::nullopt;
  std::vector<storage::TopicPartitionName> wanted;
  for (const auto& topic : *topics)
    for (std::int32_t partition : topic.partition_indexes)
      wanted.push_back({topic.name, partition});
  return wanted;
}

// Groups fetched offsets by topic, keeping the order they came in.
template <typename TopicOut>
std::vector<TopicOut> by_topic(const std::vector<groups::FetchedOffset>& fetched) {
  std::vector<TopicOut> topics;
  for (const auto& offset : fetched) {
    if (topics.empty() || topics.back().name != offset.topic) {
      topics.emplace_back();
      topics.back().name = offset.topic;
    }
    auto& partition = topics.back().partitions.emplace_back();
    partition.partition_index = offset.partition;
    partition.committed_offset = offset.offset;
    partition.committed_leader_epoch = offset.leader_epoch;
    partition.metadata = offset.metadata;
  }
  return topics;
}

struct FetchWanted {
  std::string group_id;
  std::optional<std::vector<storage::TopicPartitionName>> partitions;
};

}  // namespace

void offset_commit(RequestContext& context, ReplyCallback done) {
  protocol::OffsetCommitRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  CommitPlan plan = plan_commit(context, request);
  answer_on_coordinator(
      context, std::move(done),
      [request = std::move(request), plan = std::move(plan)](groups::Coordinator& coordinator,
                                                             groups::TimePoint now) {
        std::vector<ErrorCode> committed = coordinator.commit_offsets(plan.commit, now);
        std::size_t next = 0;
        protocol::OffsetCommitResponse response;
        for (std::size_t t = 0; t < request.topics.size(); ++t) {
          auto& topic_out = response.topics.emplace_back();
          topic_out.name = request.topics[t].name;
          for (std::size_t p = 0; p < request.topics[t].partitions.size(); ++p) {
            ErrorCode error = plan.known_errors[t][p];
            if (error == ErrorCode::none) error = committed[next++];
            topic_out.partitions.push_back(
                {request.topics[t].partitions[p].partition_index, protocol::code(error), {}});
          }
        }
        return response;
      });
}

void offset_fetch(RequestContext& context, ReplyCallback done) {
  protocol::OffsetFetchRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  // v8+ batch groups; earlier versions ask for one.
  std::vector<FetchWanted> wanted;
  if (context.version() >= 8) {
    for (const auto& group : request.groups)
      wanted.push_back({group.group_id, wanted_partitions(group.topics)});
  } else {
    wanted.push_back({request.group_id, wanted_partitions(request.topics)});
  }
  const bool batched = context.version() >= 8;
  answer_on_coordinator(
      context, std::move(done),
      [wanted = std::move(wanted), batched](groups::Coordinator& coordinator, groups::TimePoint) {
        protocol::OffsetFetchResponse response;
        for (const auto& group : wanted) {
          const auto fetched = coordinator.fetch_offsets(group.group_id, group.partitions);
          const ErrorCode error =
              group.group_id.empty() ? ErrorCode::invalid_group_id : ErrorCode::none;
          if (!batched) {
            response.topics =
                by_topic<protocol::OffsetFetchResponse::OffsetFetchResponseTopic>(fetched);
            response.error_code = protocol::code(error);
            continue;
          }
          auto& group_out = response.groups.emplace_back();
          group_out.group_id = group.group_id;
          group_out.error_code = protocol::code(error);
          group_out.topics =
              by_topic<protocol::OffsetFetchResponse::OffsetFetchResponseTopics>(fetched);
        }
        return response;
      });
}

void offset_delete(RequestContext& context, ReplyCallback done) {
  protocol::OffsetDeleteRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  std::vector<storage::TopicPartitionName> existing;
  std::vector<bool> exists;  // per requested partition, in request order
  for (const auto& topic : request.topics) {
    for (const auto& partition : topic.partitions) {
      exists.push_back(partition_exists(context, topic.name, partition.partition_index));
      if (exists.back()) existing.push_back({topic.name, partition.partition_index});
    }
  }
  answer_on_coordinator(
      context, std::move(done),
      [request = std::move(request), existing = std::move(existing), exists = std::move(exists)](
          groups::Coordinator& coordinator, groups::TimePoint) {
        groups::OffsetDeleteResult result = coordinator.delete_offsets(request.group_id, existing);
        protocol::OffsetDeleteResponse response;
        response.error_code = protocol::code(result.error);
        if (result.error != ErrorCode::none) return response;
        std::size_t requested = 0;
        std::size_t next = 0;
        for (const auto& topic : request.topics) {
          auto& topic_out = response.topics.emplace_back();
          topic_out.name = topic.name;
          for (const auto& partition : topic.partitions) {
            const ErrorCode error = exists[requested++] ? result.partitions[next++]
                                                        : ErrorCode::unknown_topic_or_partition;
            topic_out.partitions.push_back({partition.partition_index, protocol::code(error), {}});
          }
        }
        return response;
      });
}

}  // namespace weir::handlers
