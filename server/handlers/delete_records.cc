// DeleteRecords (key 21): moves each partition's log start offset forward (storage deletes
// the whole batches below it). Offset -1 means the high watermark, as in Kafka.
#include "protocol/generated/delete_records_request.h"
#include "protocol/generated/delete_records_response.h"
#include "server/handlers/handlers.h"
#include "server/handlers/storage_errors.h"

namespace weir::handlers {
namespace {

using protocol::DeleteRecordsRequest;
using protocol::DeleteRecordsResponse;

constexpr std::int64_t high_watermark_offset = -1;  // DeleteRecordsRequest.HIGH_WATERMARK
constexpr std::int64_t invalid_low_watermark = -1;  // what Kafka answers with an error

DeleteRecordsResponse::DeleteRecordsPartitionResult delete_partition(
    storage::Store& store, const std::string& topic,
    const DeleteRecordsRequest::DeleteRecordsPartition& wanted) {
  DeleteRecordsResponse::DeleteRecordsPartitionResult result;
  result.partition_index = wanted.partition_index;
  result.low_watermark = invalid_low_watermark;
  storage::PartitionLog* log = store.partition(topic, wanted.partition_index);
  const std::int64_t offset = (log != nullptr && wanted.offset == high_watermark_offset)
                                  ? log->high_watermark()
                                  : wanted.offset;
  std::int64_t low_watermark = invalid_low_watermark;
  const storage::StorageErrc error = store.delete_records(log, offset, &low_watermark);
  result.error_code = error_code_of(error);
  if (error == storage::StorageErrc::ok) result.low_watermark = low_watermark;
  return result;
}

}  // namespace

void delete_records(RequestContext& context, ReplyCallback done) {
  DeleteRecordsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  DeleteRecordsResponse response;
  for (const auto& topic : request.topics) {
    DeleteRecordsResponse::DeleteRecordsTopicResult topic_out;
    topic_out.name = topic.name;
    for (const auto& partition : topic.partitions)
      topic_out.partitions.push_back(
          delete_partition(context.services.store, topic.name, partition));
    response.topics.push_back(std::move(topic_out));
  }
  done(encode_reply(context, response));
}

}  // namespace weir::handlers
