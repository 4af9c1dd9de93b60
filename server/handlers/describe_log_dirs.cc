// DescribeLogDirs (key 35): one log dir, the storage path, holding every partition; sizes
// are RocksDB's estimates of each partition's key range (memtables included).
#include <filesystem>
#include <system_error>

#include "protocol/generated/describe_log_dirs_request.h"
#include "protocol/generated/describe_log_dirs_response.h"
#include "server/handlers/handlers.h"

namespace weir::handlers {
namespace {

using protocol::DescribeLogDirsRequest;
using protocol::DescribeLogDirsResponse;

DescribeLogDirsResponse::DescribeLogDirsPartition describe_partition(storage::Store& store,
                                                                     const std::string& topic,
                                                                     std::int32_t index) {
  DescribeLogDirsResponse::DescribeLogDirsPartition partition;
  partition.partition_index = index;
  partition.partition_size = store.approximate_partition_bytes(store.partition(topic, index));
  return partition;
}

DescribeLogDirsResponse::DescribeLogDirsTopic describe_topic(
    storage::Store& store, const storage::TopicDescription& topic,
    const std::vector<std::int32_t>* wanted) {
  DescribeLogDirsResponse::DescribeLogDirsTopic result;
  result.name = topic.name;
  if (wanted == nullptr) {
    for (std::int32_t index = 0; index < topic.partition_count; ++index)
      result.partitions.push_back(describe_partition(store, topic.name, index));
  } else {
    // Kafka lists only the requested partitions this broker hosts.
    for (std::int32_t index : *wanted)
      if (index >= 0 && index < topic.partition_count)
        result.partitions.push_back(describe_partition(store, topic.name, index));
  }
  return result;
}

}  // namespace

void describe_log_dirs(RequestContext& context, ReplyCallback done) {
  DescribeLogDirsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  storage::Store& store = context.services.store;

  DescribeLogDirsResponse::DescribeLogDirsResult dir;
  std::error_code error;
  auto path = std::filesystem::absolute(store.path(), error);
  dir.log_dir = error ? store.path() : path.string();
  if (auto space = std::filesystem::space(store.path(), error); !error) {
    dir.total_bytes = static_cast<std::int64_t>(space.capacity);
    dir.usable_bytes = static_cast<std::int64_t>(space.available);
  }
  if (!request.topics) {
    for (const auto& topic : store.list_topics())
      dir.topics.push_back(describe_topic(store, topic, nullptr));
  } else {
    for (const auto& wanted : *request.topics) {
      auto topic = store.find_topic(wanted.topic);
      if (!topic) continue;  // Kafka omits topics it does not host
      auto described = describe_topic(store, *topic, &wanted.partitions);
      if (!described.partitions.empty()) dir.topics.push_back(std::move(described));
    }
  }
  DescribeLogDirsResponse response;
  response.results.push_back(std::move(dir));
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
