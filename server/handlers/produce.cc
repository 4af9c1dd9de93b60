// Produce (key 0): validate each partition's record batch, append it through the commit
// pipeline, and answer once every partition has been stored with the durability the
// request's acks asked for (acks=0: no answer at all, as every client expects).
#include <fmt/format.h>

#include "protocol/generated/produce_request.h"
#include "protocol/generated/produce_response.h"
#include "protocol/records/record_batch.h"
#include "server/handlers/handlers.h"
#include "server/handlers/storage_errors.h"

namespace weir::handlers {
namespace {

using protocol::ErrorCode;
using protocol::ProduceRequest;
using protocol::ProduceResponse;
namespace records = protocol::records;

using PartitionResponse = ProduceResponse::PartitionProduceResponse;

// Lives until the last partition's append completes; touched only on the connection's
// executor, so it needs no lock.
struct PendingProduce {
  RequestContext context;
  ProduceResponse response;
  int outstanding_appends = 0;
  bool replies = true;
  ReplyCallback done;

  void finish_if_complete() {
    if (outstanding_appends != 0) return;
    for (const auto& topic : response.responses)
      for (const auto& partition : topic.partition_responses)
        if (partition.error_code != 0)
          context.services.metrics.count_error(context.header.request_api_key, partition.error_code);
    if (replies) done(encode_reply(context, response));
  }
};

bool valid_acks(std::int16_t acks) { return acks == 0 || acks == 1 || acks == -1; }

storage::Durability durability_for(std::int16_t acks) {
  if (acks == -1) return storage::Durability::synced;
  if (acks == 1) return storage::Durability::written;
  return storage::Durability::none;
}

PartitionResponse refused(std::int32_t index, ErrorCode error, std::string message) {
  PartitionResponse result;
  result.index = index;
  result.error_code = protocol::code(error);
  result.base_offset = -1;
  result.error_message = std::move(message);
  return result;
}

// Validates and queues one partition's batch; the response entry is filled in when the
// append completes.
void append_partition(const std::shared_ptr<PendingProduce>& pending, const std::string& topic,
                      const ProduceRequest::PartitionProduceData& data, std::int16_t acks,
                      PartitionResponse* slot) {
  storage::Store& store = pending->context.services.store;
  storage::PartitionLog* log = store.partition(topic, data.index);
  if (log == nullptr) {
    *slot = refused(data.index, ErrorCode::unknown_topic_or_partition,
                    fmt::format("partition {}-{} does not exist", topic, data.index));
    return;
  }
  records::ValidatedBatch batch;
  auto batch_error = data.records ? records::validate_produce_records(*data.records, &batch)
                                  : records::BatchError::invalid_record;
  if (batch_error != records::BatchError::none) {
    *slot = refused(data.index, records::error_code_for(batch_error),
                    fmt::format("invalid record batch: {}", records::to_string(batch_error)));
    return;
  }
  slot->index = data.index;
  ++pending->outstanding_appends;
  std::vector<std::byte> owned(batch.bytes.begin(), batch.bytes.end());
  const auto records = static_cast<double>(batch.header.record_count);
  const auto bytes = static_cast<double>(owned.size());
  store.append(log, std::move(owned), batch.header.last_offset_delta, batch.header.max_timestamp,
               durability_for(acks), [pending, slot, records, bytes](const storage::AppendResult& result) {
                 if (result.error == storage::StorageErrc::ok) {
                   pending->context.services.metrics.records_produced.add(records);
                   pending->context.services.metrics.bytes_produced.add(bytes);
                 }
                 asio::post(pending->context.executor, [pending, slot, result] {
                   slot->error_code = error_code_of(result.error);
                   slot->base_offset = result.error == storage::StorageErrc::ok ? result.base_offset : -1;
                   slot->log_start_offset = result.log_start_offset;
                   --pending->outstanding_appends;
                   pending->finish_if_complete();
                 });
               });
}

// Sizes every response entry up front so the slots handed to completions never move.
void shape_response(const ProduceRequest& request, ProduceResponse* response) {
  response->responses.resize(request.topic_data.size());
  for (std::size_t t = 0; t < request.topic_data.size(); ++t) {
    response->responses[t].name = request.topic_data[t].name;
    response->responses[t].partition_responses.resize(request.topic_data[t].partition_data.size());
  }
}

}  // namespace

void produce(RequestContext& context, ReplyCallback done) {
  ProduceRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  auto pending = std::make_shared<PendingProduce>(PendingProduce{context, {}, 0, request.acks != 0, std::move(done)});
  shape_response(request, &pending->response);
  for (std::size_t t = 0; t < request.topic_data.size(); ++t) {
    const auto& topic = request.topic_data[t];
    auto& partition_responses = pending->response.responses[t].partition_responses;
    for (std::size_t p = 0; p < topic.partition_data.size(); ++p) {
      if (!valid_acks(request.acks)) {
        partition_responses[p] = refused(topic.partition_data[p].index, ErrorCode::invalid_required_acks,
                                         "acks must be -1, 0 or 1");
        continue;
      }
      append_partition(pending, topic.name, topic.partition_data[p], request.acks, &partition_responses[p]);
    }
  }
  if (!pending->replies) {
    pending->done(Reply::no_response());
    return;
  }
  pending->finish_if_complete();
}

}  // namespace weir::handlers
