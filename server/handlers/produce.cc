// Produce (key 0): validate each partition's record batch, apply its topic's configs
// (max.message.bytes, compression.type, message.timestamp.type), append it through the
// commit pipeline, and answer once every partition has been stored with the durability the
// request's acks asked for (acks=0: no answer at all, as every client expects).
#include <fmt/format.h>

#include <chrono>

#include "protocol/generated/produce_request.h"
#include "protocol/generated/produce_response.h"
#include "protocol/records/compressed_batch.h"
#include "protocol/records/legacy_messages.h"
#include "protocol/records/record_batch.h"
#include "server/handlers/handlers.h"
#include "server/handlers/storage_errors.h"
#include "server/handlers/topic_produce_settings.h"

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
    if (replies) return done(encode_reply(context, response));
    // acks=0: nothing is encoded, but the errors are still answered in the client's place.
    context.services.metrics.count_errors(context.header.request_api_key, response);
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

// Produce v3 is the first version that carries record batches (magic 2); v0-2 carry
// message sets of magic 0 and 1.
constexpr std::int16_t first_record_batch_version = 3;
// Produce v7 is the first version a producer may send zstd with (KIP-110).
constexpr std::int16_t first_zstd_version = 7;
// Most bytes one batch may decompress to. Kafka sets no limit; one keeps a small
// compressed batch from making the broker allocate without bound.
constexpr std::size_t max_uncompressed_batch_bytes = 256u << 20;

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A batch ready to append: the bytes to store and the timestamp the time index gets.
struct PreparedBatch {
  std::vector<std::byte> bytes;
  std::int64_t max_timestamp = -1;
  std::int64_t log_append_time_ms = -1;  // -1 unless the topic uses LogAppendTime
};

// Kafka's checks and rewrites between validation and append (UnifiedLog.append and
// LogValidator), in their order. Fills *refusal and returns false to refuse the batch.
bool prepare_batch(const records::ValidatedBatch& batch, const TopicProduceSettings& settings,
                   const RequestContext& context, std::int32_t partition, PreparedBatch* prepared,
                   PartitionResponse* refusal) {
  const auto codec = static_cast<records::Compression>(batch.header.compression());
  if (codec == records::Compression::zstd && context.version() < first_zstd_version) {
    *refusal = refused(partition, ErrorCode::unsupported_compression_type,
                       "zstd compressed batches need Produce v7 or later");
    return false;
  }
  const auto size = static_cast<std::int64_t>(batch.bytes.size());
  if (size > settings.segment_bytes) {
    *refusal = refused(partition, ErrorCode::record_list_too_large,
                       fmt::format("batch of {} bytes is larger than segment.bytes {}", size,
                                   settings.segment_bytes));
    return false;
  }
  if (size > settings.max_message_bytes) {
    *refusal = refused(partition, ErrorCode::message_too_large,
                       fmt::format("batch of {} bytes is larger than max.message.bytes {}", size,
                                   settings.max_message_bytes));
    return false;
  }
  if (batch.header.timestamp_type_is_log_append_time() && !settings.log_append_time) {
    *refusal =
        refused(partition, ErrorCode::invalid_timestamp, "producers may not set LogAppendTime");
    return false;
  }

  const records::Compression target = settings.compression.value_or(codec);
  const bool recompress = target != codec;
  if (recompress || (codec != records::Compression::none &&
                     context.services.config.validate_compressed_batches)) {
    protocol::Bytes uncompressed;
    const auto error =
        records::decompress_records(batch, max_uncompressed_batch_bytes, &uncompressed);
    if (error != records::BatchError::none) {
      *refusal = refused(partition, records::error_code_for(error),
                         fmt::format("invalid {} record batch: {}", records::codec_name(codec),
                                     records::to_string(error)));
      return false;
    }
    if (recompress) {
      prepared->bytes = records::rebuild_batch(batch, uncompressed, target);
      // The limit applies to what is stored, as Kafka checks it again after recompressing.
      if (static_cast<std::int64_t>(prepared->bytes.size()) > settings.max_message_bytes) {
        *refusal = refused(
            partition, ErrorCode::message_too_large,
            fmt::format(
                "batch of {} bytes recompressed with {} is larger than max.message.bytes {}",
                prepared->bytes.size(), records::codec_name(target), settings.max_message_bytes));
        return false;
      }
    }
  }
  if (prepared->bytes.empty()) prepared->bytes.assign(batch.bytes.begin(), batch.bytes.end());
  prepared->max_timestamp = batch.header.max_timestamp;
  if (settings.log_append_time) {
    prepared->log_append_time_ms = wall_clock_ms();
    prepared->max_timestamp = prepared->log_append_time_ms;
    records::set_log_append_time(prepared->bytes, prepared->log_append_time_ms);
  }
  return true;
}

// Produce v0-2 carry message sets of magic 0 or 1; they are stored as the equivalent
// magic-2 batch in *converted, as Kafka 3.x up-converts them for a magic-2 log. Kafka does
// not check the magic against the request version below v3, so a magic-2 batch there is
// taken as in v3+.
records::BatchError validate_partition_records(const RequestContext& context,
                                               protocol::BytesView records,
                                               protocol::Bytes* converted,
                                               records::ValidatedBatch* batch) {
  if (context.version() < first_record_batch_version &&
      records::declared_magic(records) != records::kMagicV2) {
    const auto error =
        records::upconvert_message_set(records, max_uncompressed_batch_bytes, converted);
    if (error != records::BatchError::none) return error;
    records = *converted;
  }
  return records::validate_produce_records(records, batch);
}

// Weir has no transaction coordinator: InitProducerId refuses transactional ids, so no
// producer id is ever in a transaction and a transactional batch is refused, never stored.
// Kafka refuses one with TRANSACTIONAL_ID_AUTHORIZATION_FAILED when the request names no
// transactional id (KafkaApis checks that before the log), and with INVALID_TXN_STATE when
// it does but the producer never added the partition to a transaction (the partition
// verification of KIP-890).
PartitionResponse refuse_transactional(std::int32_t partition,
                                       const std::optional<std::string>& transactional_id) {
  if (!transactional_id)
    return refused(partition, ErrorCode::transactional_id_authorization_failed,
                   "a transactional batch needs the request's transactional id");
  return refused(
      partition, ErrorCode::invalid_txn_state,
      fmt::format("transactional id '{}' has no ongoing transaction: this broker does not support "
                  "transactions",
                  *transactional_id));
}

// Validates and queues one partition's batch; the response entry is filled in when the
// append completes.
void append_partition(const std::shared_ptr<PendingProduce>& pending, const std::string& topic,
                      const ProduceRequest::PartitionProduceData& data, std::int16_t acks,
                      const std::optional<std::string>& transactional_id, PartitionResponse* slot) {
  storage::Store& store = pending->context.services.store;
  storage::PartitionLog* log = store.partition(topic, data.index);
  if (log == nullptr) {
    *slot = refused(data.index, ErrorCode::unknown_topic_or_partition,
                    fmt::format("partition {}-{} does not exist", topic, data.index));
    return;
  }
  protocol::Bytes converted;
  records::ValidatedBatch batch;
  auto batch_error =
      data.records ? validate_partition_records(pending->context, *data.records, &converted, &batch)
                   : records::BatchError::invalid_record;
  if (batch_error != records::BatchError::none) {
    *slot = refused(data.index, records::error_code_for(batch_error),
                    fmt::format("invalid record batch: {}", records::to_string(batch_error)));
    return;
  }
  if (batch.header.is_transactional()) {
    *slot = refuse_transactional(data.index, transactional_id);
    return;
  }
  PreparedBatch prepared;
  // The topic's current configs (AlterConfigs may have changed them since it was created).
  const auto description = store.find_topic(topic);
  const TopicProduceSettings settings = produce_settings_for(
      description ? *description : log->topic(), pending->context.services.config);
  if (!prepare_batch(batch, settings, pending->context, data.index, &prepared, slot)) return;
  slot->index = data.index;
  ++pending->outstanding_appends;
  const std::int64_t log_append_time_ms = prepared.log_append_time_ms;
  const auto records = static_cast<double>(batch.header.record_count);
  const auto bytes = static_cast<double>(prepared.bytes.size());
  const BrokerMetrics::PartitionSeries* partition_series =
      pending->context.services.metrics.partition(*log);
  store.append(
      log, std::move(prepared.bytes), batch.header.last_offset_delta, prepared.max_timestamp,
      durability_for(acks),
      [pending, slot, log_append_time_ms, records, bytes,
       partition_series](const storage::AppendResult& result) {
        const bool stored = result.error == storage::StorageErrc::ok;
        if (stored && !result.duplicate) {
          pending->context.services.metrics.records_produced.add(records);
          pending->context.services.metrics.bytes_produced.add(bytes);
          if (partition_series != nullptr) {
            partition_series->records_produced.add(records);
            partition_series->bytes_produced.add(bytes);
          }
        }
        asio::post(pending->context.executor, [pending, slot, result, log_append_time_ms, stored] {
          slot->error_code = error_code_of(result.error);
          slot->base_offset = stored ? result.base_offset : -1;
          // Kafka answers a duplicate with no append time (the original's is not kept).
          slot->log_append_time_ms = stored && !result.duplicate ? log_append_time_ms : -1;
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
  auto pending = std::make_shared<PendingProduce>(
      PendingProduce{context, {}, 0, request.acks != 0, std::move(done)});
  shape_response(request, &pending->response);
  for (std::size_t t = 0; t < request.topic_data.size(); ++t) {
    const auto& topic = request.topic_data[t];
    auto& partition_responses = pending->response.responses[t].partition_responses;
    for (std::size_t p = 0; p < topic.partition_data.size(); ++p) {
      if (!valid_acks(request.acks)) {
        partition_responses[p] =
            refused(topic.partition_data[p].index, ErrorCode::invalid_required_acks,
                    "acks must be -1, 0 or 1");
        continue;
      }
      append_partition(pending, topic.name, topic.partition_data[p], request.acks,
                       request.transactional_id, &partition_responses[p]);
    }
  }
  if (!pending->replies) {
    pending->done(Reply::no_response());
    return;
  }
  pending->finish_if_complete();
}

}  // namespace weir::handlers
