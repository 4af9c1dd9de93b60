// Fetch (key 1): sessionless full fetches (SessionId 0), long poll on max_wait_ms and
// min_bytes, per-partition and per-response max_bytes, and always at least one whole
// batch for the first partition with data so a consumer can make progress (Fetch v3+).
// The response lists exactly the requested partitions in request order: the Java client
// discards a full response that omits or adds any.
// A pass is first tried from memory on the network thread (tail cache, or nothing new to
// read); only when a partition needs RocksDB does the whole pass run on a storage reader
// thread, with its answer posted back here. Fetch v0-3 get the stored batches
// down-converted to message sets of magic 0 (v0-1) or 1 (v2-3); converting decompresses
// and recompresses, so a pass that has any to convert runs on a reader thread too.
#include <chrono>

#include "protocol/generated/fetch_request.h"
#include "protocol/generated/fetch_response.h"
#include "protocol/records/legacy_messages.h"
#include "protocol/records/record_batch.h"
#include "server/handlers/fetch_waiters.h"
#include "server/handlers/handlers.h"
#include "server/handlers/storage_errors.h"

namespace weir::handlers {
namespace {

using protocol::ErrorCode;
using protocol::FetchRequest;
using protocol::FetchResponse;
using Clock = std::chrono::steady_clock;

constexpr std::int8_t read_committed = 1;
// Fetch v4 is the first version that returns record batches (magic 2) as stored; v2-3
// return message sets of magic 1 and v0-1 of magic 0.
constexpr std::int16_t first_record_batch_version = 4;
constexpr std::int16_t first_magic_v1_version = 2;
// Most bytes one stored batch may decompress to while it is down-converted; the produce
// path refuses batches above the same bound.
constexpr std::size_t max_uncompressed_batch_bytes = 256u << 20;

// What one pass over the requested partitions gathered; owns the record bytes that the
// response's views point into until the response is encoded.
struct FetchPass {
  FetchResponse response;
  std::vector<std::vector<std::byte>> record_buffers;
  std::int64_t bytes = 0;
  std::int64_t records = 0;
  // METRICS_PER_PARTITION only: what each partition contributed, counted if the pass is sent.
  struct PartitionCount {
    const BrokerMetrics::PartitionSeries* series;
    std::int64_t records;
    std::int64_t bytes;
  };
  std::vector<PartitionCount> partition_counts;
  bool saw_error = false;
  // Store::commit_sequence() before the pass read anything: if it moved by the time the
  // fetch parks, a commit may have slipped between the read and the park.
  std::uint64_t commit_sequence = 0;
};

// How long a fetch may wait for min_bytes: its max_wait_ms, but at most half of
// REQUEST_TIMEOUT_SECS, because the connection is closed once a request stays unanswered
// that long. Answering a long poll early with what there is is valid in Kafka (the
// client polls again); closing its connection is not.
std::chrono::milliseconds long_poll_wait(const Config& config, std::int32_t max_wait_ms) {
  const std::chrono::milliseconds cap{static_cast<std::int64_t>(config.request_timeout_secs) *
                                      1000 / 2};
  return std::min(std::chrono::milliseconds(std::max(0, max_wait_ms)), cap);
}

struct PendingFetch : std::enable_shared_from_this<PendingFetch> {
  RequestContext context;
  FetchRequest request;
  ReplyCallback done;
  Clock::time_point deadline;
  asio::steady_timer timer;
  bool answered = false;
  bool reading = false;           // a pass is running on a storage reader thread
  bool retry_after_read = false;  // a wake-up or the deadline came during that pass

  PendingFetch(RequestContext context_in, FetchRequest request_in, ReplyCallback done_in)
      : context(std::move(context_in)),
        request(std::move(request_in)),
        done(std::move(done_in)),
        deadline(Clock::now() + long_poll_wait(context.services.config, request.max_wait_ms)),
        timer(context.executor) {}

  void attempt();
  void read_in_storage();
  void finish_pass(FetchPass pass);
};

std::optional<storage::TopicDescription> resolve_topic(const RequestContext& context,
                                                       const FetchRequest::FetchTopic& topic) {
  if (context.version() >= 13) return context.services.store.find_topic(topic.topic_id);
  return context.services.store.find_topic(topic.topic);
}

enum class ReadFrom { memory_only, storage };

// Replaces the stored batches in *records by the message set a Fetch v0-3 client reads,
// cut to whole messages within `limit` (at least one, so the consumer makes progress).
// False, with the error in `out`, when nothing could be converted.
bool down_convert(std::int16_t version, std::int64_t fetch_offset, std::int64_t limit,
                  std::vector<std::byte>& records, FetchResponse::PartitionData& out) {
  const std::int8_t magic =
      version >= first_magic_v1_version ? protocol::records::kMagicV1 : protocol::records::kMagicV0;
  protocol::Bytes message_set;
  const auto error = protocol::records::downconvert_batches(
      records, magic, fetch_offset, max_uncompressed_batch_bytes, &message_set);
  if (error != protocol::records::BatchError::none) {
    out.error_code = protocol::code(protocol::records::error_code_for(error));
    records.clear();
    return false;
  }
  message_set.resize(protocol::records::whole_messages_within(
      message_set, static_cast<std::size_t>(std::max<std::int64_t>(limit, 0))));
  records = std::move(message_set);
  return true;
}

// False when `from` is memory_only and this partition needs RocksDB (or a conversion).
bool read_partition(const RequestContext& context, const FetchRequest& request,
                    const std::string& topic, const FetchRequest::FetchPartition& wanted,
                    ReadFrom from, FetchPass& pass, FetchResponse::PartitionData& out) {
  out.partition_index = wanted.partition;
  out.records = protocol::BytesView{};
  if (request.isolation_level == read_committed) out.aborted_transactions.emplace();
  storage::Store& store = context.services.store;
  storage::PartitionLog* log = store.partition(topic, wanted.partition);
  if (log == nullptr) {
    out.error_code = protocol::code(ErrorCode::unknown_topic_or_partition);
    pass.saw_error = true;
    return true;
  }
  const std::int64_t remaining = static_cast<std::int64_t>(request.max_bytes) - pass.bytes;
  const std::int64_t limit = std::min<std::int64_t>(wanted.partition_max_bytes, remaining);
  storage::ReadResult read;
  if (limit > 0 || pass.bytes == 0) {
    const auto max_bytes = static_cast<std::int32_t>(std::max<std::int64_t>(limit, 1));
    if (from == ReadFrom::storage) {
      read = store.read(log, wanted.fetch_offset, max_bytes);
    } else if (auto from_memory = store.read_from_memory(log, wanted.fetch_offset, max_bytes)) {
      read = std::move(*from_memory);
    } else {
      return false;
    }
  } else {
    read = storage::ReadResult{
        storage::StorageErrc::ok, log->high_watermark(), log->log_start_offset(), {}};
  }
  out.error_code = error_code_of(read.error);
  out.high_watermark = read.high_watermark;
  out.last_stable_offset = read.high_watermark;  // no open transactions
  out.log_start_offset = read.log_start_offset;
  if (read.error != storage::StorageErrc::ok) {
    pass.saw_error = true;
    return true;
  }
  if (context.version() < first_record_batch_version && !read.records.empty()) {
    if (from == ReadFrom::memory_only) return false;
    if (!down_convert(context.version(), wanted.fetch_offset, limit, read.records, out)) {
      pass.saw_error = true;
      return true;
    }
  }
  // Only the first partition with data may exceed the limits (Kafka's progress rule).
  if (pass.bytes > 0 && static_cast<std::int64_t>(read.records.size()) > limit) return true;
  pass.bytes += static_cast<std::int64_t>(read.records.size());
  std::int64_t records = 0;
  protocol::records::for_each_batch(
      read.records, [&records](const protocol::records::RecordBatchHeader& header,
                               protocol::BytesView) { records += header.record_count; });
  pass.records += records;
  if (const auto* series = context.services.metrics.partition(*log))
    pass.partition_counts.push_back(
        {series, records, static_cast<std::int64_t>(read.records.size())});
  pass.record_buffers.push_back(std::move(read.records));
  out.records = protocol::BytesView(pass.record_buffers.back());
  return true;
}

// False when `from` is memory_only and some partition needs RocksDB; `pass` is then
// incomplete and must be thrown away.
bool read_all(const RequestContext& context, const FetchRequest& request, ReadFrom from,
              FetchPass& pass) {
  pass.commit_sequence = context.services.store.commit_sequence();
  std::size_t total_partitions = 0;
  for (const auto& topic : request.topics) total_partitions += topic.partitions.size();
  pass.record_buffers.reserve(total_partitions);  // views must not move
  for (const auto& wanted_topic : request.topics) {
    FetchResponse::FetchableTopicResponse topic_out;
    topic_out.topic = wanted_topic.topic;
    topic_out.topic_id = wanted_topic.topic_id;
    auto topic = resolve_topic(context, wanted_topic);
    for (const auto& wanted : wanted_topic.partitions) {
      FetchResponse::PartitionData partition_out;
      if (!topic) {
        partition_out.partition_index = wanted.partition;
        partition_out.error_code =
            protocol::code(context.version() >= 13 ? ErrorCode::unknown_topic_id
                                                   : ErrorCode::unknown_topic_or_partition);
        partition_out.records = protocol::BytesView{};
        pass.saw_error = true;
      } else if (!read_partition(context, request, topic->name, wanted, from, pass,
                                 partition_out)) {
        return false;
      }
      topic_out.partitions.push_back(std::move(partition_out));
    }
    pass.response.responses.push_back(std::move(topic_out));
  }
  return true;
}

void PendingFetch::attempt() {
  if (answered) return;
  if (reading) {
    retry_after_read = true;
    return;
  }
  FetchPass pass;
  if (read_all(context, request, ReadFrom::memory_only, pass)) return finish_pass(std::move(pass));
  read_in_storage();
}

void PendingFetch::read_in_storage() {
  reading = true;
  auto self = shared_from_this();
  context.services.store.submit_read([self] {
    FetchPass pass;
    read_all(self->context, self->request, ReadFrom::storage, pass);
    asio::post(self->context.executor, [self, pass = std::move(pass)]() mutable {
      self->reading = false;
      self->finish_pass(std::move(pass));
      if (self->retry_after_read) {
        self->retry_after_read = false;
        self->attempt();
      }
    });
  });
}

void PendingFetch::finish_pass(FetchPass pass) {
  if (answered) return;
  const bool satisfied = pass.bytes >= request.min_bytes || pass.saw_error ||
                         Clock::now() >= deadline ||
                         context.services.fetch_waiters.answering_all_now();
  if (satisfied) {
    answered = true;
    timer.cancel();
    context.services.metrics.bytes_fetched.add(static_cast<double>(pass.bytes));
    context.services.metrics.records_fetched.add(static_cast<double>(pass.records));
    for (const auto& count : pass.partition_counts) {
      count.series->records_fetched.add(static_cast<double>(count.records));
      count.series->bytes_fetched.add(static_cast<double>(count.bytes));
    }
    done(encode_reply(context, pass.response));
    return;
  }
  // Park until the next commit; the deadline timer answers with whatever there is then.
  std::weak_ptr<PendingFetch> weak = shared_from_this();
  context.services.fetch_waiters.park(context.executor, weak, [weak] {
    if (auto self = weak.lock()) self->attempt();
  });
  if (context.services.store.commit_sequence() != pass.commit_sequence) attempt();
}

ErrorCode check_session(const FetchRequest& request) {
  // We never create fetch sessions: answering SessionId 0 keeps every client on full,
  // sessionless fetches.
  if (request.session_id != 0) return ErrorCode::fetch_session_id_not_found;
  if (request.session_epoch != -1 && request.session_epoch != 0)
    return ErrorCode::invalid_fetch_session_epoch;
  return ErrorCode::none;
}

}  // namespace

void fetch(RequestContext& context, ReplyCallback done) {
  FetchRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  if (auto session_error = check_session(request); session_error != ErrorCode::none) {
    FetchResponse response;
    response.error_code = protocol::code(session_error);
    return done(encode_reply(context, response));
  }
  auto pending = std::make_shared<PendingFetch>(context, std::move(request), std::move(done));
  pending->timer.expires_at(pending->deadline);
  pending->timer.async_wait([pending](const asio::error_code& error) {
    if (!error) pending->attempt();
  });
  pending->attempt();
}

}  // namespace weir::handlers
