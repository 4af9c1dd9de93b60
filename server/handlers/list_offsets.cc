// ListOffsets (key 2): earliest (-2), latest (-1), max timestamp (-3), and by timestamp
// through the storage time index. Earliest and latest come from memory and are answered
// on the network thread; a request that needs the time index or a batch is answered from
// a storage reader thread, so no network thread waits on RocksDB.
#include "protocol/generated/list_offsets_request.h"
#include "protocol/generated/list_offsets_response.h"
#include "protocol/records/record_batch.h"
#include "server/handlers/handlers.h"
#include "server/handlers/storage_errors.h"

namespace weir::handlers {
namespace {

using protocol::ErrorCode;
using protocol::ListOffsetsRequest;
using protocol::ListOffsetsResponse;

constexpr std::int64_t latest_timestamp = -1;
constexpr std::int64_t earliest_timestamp = -2;
constexpr std::int64_t max_timestamp = -3;
constexpr std::int64_t earliest_local_timestamp = -4;  // v8+: no tiered storage, so earliest
constexpr std::int64_t latest_tiered_timestamp = -5;   // v9+: nothing is tiered
constexpr std::int32_t leader_epoch = 0;

struct OffsetAndTimestamp {
  std::int64_t offset = -1;
  std::int64_t timestamp = -1;
};

// The time index finds the first batch whose max timestamp reaches `target`; Kafka
// answers with the first *record* at or after it, so look inside that batch. A batch
// we cannot open (compressed) is answered at its base offset.
OffsetAndTimestamp first_record_at_or_after(storage::Store& store, storage::PartitionLog* log,
                                            std::int64_t target) {
  auto [batch_offset, batch_max_timestamp] = store.offset_for_timestamp(log, target);
  OffsetAndTimestamp found{batch_offset, batch_max_timestamp};
  if (batch_offset < 0) return found;
  storage::ReadResult read = store.read(log, batch_offset, 1);
  if (read.error != storage::StorageErrc::ok) return found;
  auto header = protocol::records::parse_header(read.records);
  if (!header || header->compression() != 0 || header->timestamp_type_is_log_append_time() ||
      header->size_in_bytes() > static_cast<std::int64_t>(read.records.size()))
    return found;
  protocol::records::ValidatedBatch batch{
      *header,
      protocol::BytesView(read.records).first(static_cast<std::size_t>(header->size_in_bytes()))};
  bool matched = false;
  protocol::records::for_each_record(batch, [&](const protocol::records::Record& record) {
    const std::int64_t timestamp = header->base_timestamp + record.timestamp_delta;
    if (matched || timestamp < target) return;
    matched = true;
    found = {header->base_offset + record.offset_delta, timestamp};
  });
  return found;
}

// v0 answers with a list of offsets (Kafka's segment boundaries before the timestamp,
// newest first, at most max_num_offsets). Weir has no segments: the list holds the one
// offset v1+ would give, which is what clients read (the first entry).
void fill_old_style_offsets(const ListOffsetsRequest::ListOffsetsPartition& wanted,
                            ListOffsetsResponse::ListOffsetsPartitionResponse* result) {
  if (result->error_code == 0 && result->offset >= 0 && wanted.max_num_offsets > 0)
    result->old_style_offsets = {result->offset};
}

ListOffsetsResponse::ListOffsetsPartitionResponse lookup(
    storage::Store& store, const std::string& topic,
    const ListOffsetsRequest::ListOffsetsPartition& wanted) {
  ListOffsetsResponse::ListOffsetsPartitionResponse result;
  result.partition_index = wanted.partition_index;
  storage::PartitionLog* log = store.partition(topic, wanted.partition_index);
  if (log == nullptr) {
    result.error_code = protocol::code(ErrorCode::unknown_topic_or_partition);
    return result;
  }
  result.leader_epoch = leader_epoch;
  result.timestamp = -1;
  switch (wanted.timestamp) {
    case latest_timestamp:
      result.offset = log->high_watermark();
      break;
    case earliest_timestamp:
    case earliest_local_timestamp:
      result.offset = log->log_start_offset();
      break;
    case latest_tiered_timestamp:
      result.offset = -1;
      break;
    case max_timestamp: {
      auto [offset, timestamp] = store.offset_for_max_timestamp(log);
      result.offset = offset;
      result.timestamp = timestamp;
      break;
    }
    default: {
      if (wanted.timestamp < 0) {
        result.error_code = protocol::code(ErrorCode::invalid_request);
        break;
      }
      auto found = first_record_at_or_after(store, log, wanted.timestamp);
      result.offset = found.offset;
      result.timestamp = found.timestamp;
    }
  }
  return result;
}

ListOffsetsResponse answer(const RequestContext& context, const ListOffsetsRequest& request) {
  ListOffsetsResponse response;
  for (const auto& topic : request.topics) {
    ListOffsetsResponse::ListOffsetsTopicResponse topic_out;
    topic_out.name = topic.name;
    for (const auto& partition : topic.partitions) {
      topic_out.partitions.push_back(lookup(context.services.store, topic.name, partition));
      if (context.version() == 0) fill_old_style_offsets(partition, &topic_out.partitions.back());
    }
    response.topics.push_back(std::move(topic_out));
  }
  return response;
}

bool reads_storage(const ListOffsetsRequest& request) {
  for (const auto& topic : request.topics)
    for (const auto& partition : topic.partitions)
      if (partition.timestamp == max_timestamp || partition.timestamp >= 0) return true;
  return false;
}

}  // namespace

void list_offsets(RequestContext& context, ReplyCallback done) {
  ListOffsetsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  if (!reads_storage(request)) return done(encode_reply(context, answer(context, request)));
  context.services.store.submit_read(
      [context, request = std::move(request), done = std::move(done)]() mutable {
        Reply reply = encode_reply(context, answer(context, request));
        asio::post(context.executor, [done = std::move(done), reply = std::move(reply)]() mutable {
          done(std::move(reply));
        });
      });
}

}  // namespace weir::handlers
