#include "protocol/records/record_batch.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "protocol/records/crc32c.h"

namespace weir::protocol::records {
namespace {

// Field offsets inside the batch header.
constexpr std::size_t kBaseOffsetAt = 0;
constexpr std::size_t kBatchLengthAt = 8;
constexpr std::size_t kPartitionLeaderEpochAt = 12;
constexpr std::size_t kMagicAt = 16;
constexpr std::size_t kAttributesAt = 21;
constexpr std::size_t kLastOffsetDeltaAt = 23;
constexpr std::size_t kBaseTimestampAt = 27;
constexpr std::size_t kMaxTimestampAt = 35;
constexpr std::size_t kProducerIdAt = 43;
constexpr std::size_t kProducerEpochAt = 51;
constexpr std::size_t kBaseSequenceAt = 53;
constexpr std::size_t kRecordCountAt = 57;

constexpr std::int16_t kCompressionMask = 0x07;
constexpr std::int16_t kLogAppendTimeFlag = 0x08;
constexpr int kMaxKnownCodec = 4;  // zstd
// Kafka's LegacyRecord.RECORD_OVERHEAD_V0: no batch_length of any format is smaller.
constexpr std::int32_t kMinimumBatchLength = 14;

template <typename T>
T read_be(const std::byte* p) {
  using U = std::make_unsigned_t<T>;
  U v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    v = static_cast<U>((v << 8) | std::to_integer<U>(p[i]));
  }
  return static_cast<T>(v);
}

template <typename T>
void write_be(std::byte* p, T value) {
  using U = std::make_unsigned_t<T>;
  auto v = static_cast<U>(value);
  for (std::size_t i = sizeof(T); i > 0; --i) {
    p[i - 1] = static_cast<std::byte>(v & 0xFFu);
    v = static_cast<U>(v >> 8);
  }
}

// Bounds-checked reader over one view. Every read fails (returns false) rather than
// reading past the end.
class Cursor {
 public:
  explicit Cursor(BytesView bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - pos_; }

  bool read_int8(std::int8_t* out) {
    if (remaining() < 1) return false;
    *out = static_cast<std::int8_t>(std::to_integer<std::uint8_t>(bytes_[pos_]));
    ++pos_;
    return true;
  }

  // Zig-zag varint of at most 5 bytes. Like Kafka's ByteUtils.readVarint, bits of the
  // fifth byte beyond 32 are dropped rather than rejected.
  bool read_varint(std::int32_t* out) {
    std::uint32_t raw = 0;
    for (int shift = 0;; shift += 7) {
      if (shift > 28 || remaining() < 1) return false;
      const auto b = std::to_integer<std::uint32_t>(bytes_[pos_++]);
      raw |= (b & 0x7Fu) << shift;
      if ((b & 0x80u) == 0) break;
    }
    *out = static_cast<std::int32_t>((raw >> 1) ^ (~(raw & 1u) + 1u));
    return true;
  }

  // Zig-zag varlong of at most 10 bytes.
  bool read_varlong(std::int64_t* out) {
    std::uint64_t raw = 0;
    for (int shift = 0;; shift += 7) {
      if (shift > 63 || remaining() < 1) return false;
      const auto b = std::to_integer<std::uint64_t>(bytes_[pos_++]);
      raw |= (b & 0x7Fu) << shift;
      if ((b & 0x80u) == 0) break;
    }
    *out = static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1u) + 1u));
    return true;
  }

  bool read_view(std::size_t n, BytesView* out) {
    if (remaining() < n) return false;
    *out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

  // Length-prefixed bytes. Kafka's DefaultRecord reads every negative length as null, not
  // only -1, so this does too.
  bool read_nullable_bytes(std::optional<BytesView>* out) {
    std::int32_t length = 0;
    if (!read_varint(&length)) return false;
    if (length < 0) {
      out->reset();
      return true;
    }
    BytesView view;
    if (!read_view(static_cast<std::size_t>(length), &view)) return false;
    *out = view;
    return true;
  }

 private:
  BytesView bytes_;
  std::size_t pos_ = 0;
};

// Walks the records of an uncompressed batch, checking that each record's length covers
// exactly its fields, offset deltas run 0..record_count-1 and the last record ends at the
// batch end. Calls `visit` (when given) with each record. Kafka's record reader throws
// InvalidRecordException for the same faults, hence invalid_record.
BatchError walk_records(const RecordBatchHeader& header, BytesView records,
                        const std::function<void(const Record&)>* visit) {
  if (header.record_count < 0) return BatchError::invalid_record;
  Cursor cursor(records);
  Record record;
  for (std::int32_t i = 0; i < header.record_count; ++i) {
    std::int32_t length = 0;
    BytesView body;
    if (!cursor.read_varint(&length) || length < 0 ||
        !cursor.read_view(static_cast<std::size_t>(length), &body)) {
      return BatchError::invalid_record;
    }
    Cursor fields(body);
    std::int8_t attributes = 0;
    std::int32_t offset_delta = 0;
    std::int32_t header_count = 0;
    if (!fields.read_int8(&attributes) || !fields.read_varlong(&record.timestamp_delta) ||
        !fields.read_varint(&offset_delta) || offset_delta != i ||
        !fields.read_nullable_bytes(&record.key) || !fields.read_nullable_bytes(&record.value) ||
        !fields.read_varint(&header_count) || header_count < 0) {
      return BatchError::invalid_record;
    }
    record.offset_delta = offset_delta;
    record.headers.clear();
    for (std::int32_t h = 0; h < header_count; ++h) {
      // Kafka rejects a null header key ("Invalid negative header key size").
      std::int32_t key_length = 0;
      BytesView key;
      std::optional<BytesView> value;
      if (!fields.read_varint(&key_length) || key_length < 0 ||
          !fields.read_view(static_cast<std::size_t>(key_length), &key) ||
          !fields.read_nullable_bytes(&value)) {
        return BatchError::invalid_record;
      }
      if (visit != nullptr) {
        record.headers.emplace_back(
            std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), value);
      }
    }
    if (fields.remaining() != 0) return BatchError::invalid_record;
    if (visit != nullptr) (*visit)(record);
  }
  if (cursor.remaining() != 0) return BatchError::invalid_record;
  return BatchError::none;
}

void require_header(std::span<std::byte> batch) {
  if (batch.size() < kBatchHeaderSize) {
    throw std::invalid_argument("record batch shorter than its 61-byte header");
  }
}

void append_varint(Bytes& out, std::int64_t value) {
  auto raw = (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
  while ((raw & ~std::uint64_t{0x7F}) != 0) {
    out.push_back(static_cast<std::byte>((raw & 0x7Fu) | 0x80u));
    raw >>= 7;
  }
  out.push_back(static_cast<std::byte>(raw));
}

void append_nullable_bytes(Bytes& out, const std::optional<Bytes>& bytes) {
  if (!bytes) {
    append_varint(out, -1);
    return;
  }
  append_varint(out, static_cast<std::int64_t>(bytes->size()));
  out.insert(out.end(), bytes->begin(), bytes->end());
}

}  // namespace

ErrorCode error_code_for(BatchError error) {
  switch (error) {
    case BatchError::none:
      return ErrorCode::none;
    case BatchError::corrupt_message:
      return ErrorCode::corrupt_message;
    case BatchError::invalid_record:
      return ErrorCode::invalid_record;
    case BatchError::unsupported_compression_type:
      return ErrorCode::unsupported_compression_type;
    case BatchError::unsupported_for_message_format:
      return ErrorCode::unsupported_for_message_format;
    case BatchError::message_too_large:
      return ErrorCode::message_too_large;
  }
  return ErrorCode::unknown_server_error;
}

const char* to_string(BatchError error) {
  switch (error) {
    case BatchError::none:
      return "none";
    case BatchError::corrupt_message:
      return "corrupt_message";
    case BatchError::invalid_record:
      return "invalid_record";
    case BatchError::unsupported_compression_type:
      return "unsupported_compression_type";
    case BatchError::unsupported_for_message_format:
      return "unsupported_for_message_format";
    case BatchError::message_too_large:
      return "message_too_large";
  }
  return "unknown";
}

std::optional<RecordBatchHeader> parse_header(BytesView batch) {
  if (batch.size() < kBatchHeaderSize) return std::nullopt;
  const std::byte* p = batch.data();
  RecordBatchHeader h;
  h.base_offset = read_be<std::int64_t>(p + kBaseOffsetAt);
  h.batch_length = read_be<std::int32_t>(p + kBatchLengthAt);
  h.partition_leader_epoch = read_be<std::int32_t>(p + kPartitionLeaderEpochAt);
  h.magic = read_be<std::int8_t>(p + kMagicAt);
  h.crc = read_be<std::uint32_t>(p + kCrcOffset);
  h.attributes = read_be<std::int16_t>(p + kAttributesAt);
  h.last_offset_delta = read_be<std::int32_t>(p + kLastOffsetDeltaAt);
  h.base_timestamp = read_be<std::int64_t>(p + kBaseTimestampAt);
  h.max_timestamp = read_be<std::int64_t>(p + kMaxTimestampAt);
  h.producer_id = read_be<std::int64_t>(p + kProducerIdAt);
  h.producer_epoch = read_be<std::int16_t>(p + kProducerEpochAt);
  h.base_sequence = read_be<std::int32_t>(p + kBaseSequenceAt);
  h.record_count = read_be<std::int32_t>(p + kRecordCountAt);
  return h;
}

BatchError validate_produce_records(BytesView records, ValidatedBatch* out) {
  // The order of the checks is the Java broker's (KafkaApis.handleProduceRequest, then
  // UnifiedLog.analyzeAndValidateRecords, then LogValidator.validateBatch), so a client gets
  // the error Kafka would give it when a batch has several faults.
  const std::size_t available = records.size();
  // Kafka's batch iterator sees no batch in fewer bytes than base_offset + batch_length,
  // and the request fails with "must have at least one record batch".
  if (available < kBatchLengthOverhead) return BatchError::invalid_record;
  const auto batch_length = read_be<std::int32_t>(records.data() + kBatchLengthAt);
  // The iterator itself throws CorruptRecordException for a size below the smallest
  // message of any format.
  if (batch_length < kMinimumBatchLength) return BatchError::corrupt_message;
  const std::int64_t batch_size =
      static_cast<std::int64_t>(batch_length) + static_cast<std::int64_t>(kBatchLengthOverhead);
  // A batch cut short is no batch at all, as above.
  if (available <= kMagicAt || batch_size > static_cast<std::int64_t>(available)) {
    return BatchError::invalid_record;
  }
  // Produce v3+ carries magic 2 only; Kafka answers anything else with INVALID_RECORD
  // ("only allowed to contain record batches with magic version 2").
  if (read_be<std::int8_t>(records.data() + kMagicAt) != kMagicV2) {
    return BatchError::invalid_record;
  }
  // Smaller than its own header: Kafka's DefaultRecordBatch.ensureValid says corrupt.
  if (batch_size < static_cast<std::int64_t>(kBatchHeaderSize)) return BatchError::corrupt_message;
  // A second batch is INVALID_RECORD in Kafka ("exactly one record batch"). Kafka drops a
  // trailing partial batch silently instead; no client sends one, so refusing every
  // trailing byte costs no compatibility and keeps a client bug from going unnoticed.
  if (batch_size < static_cast<std::int64_t>(available)) return BatchError::invalid_record;

  // The client's base_offset is ignored, as Kafka's LogValidator does: the broker
  // overwrites it with the offset it assigns.
  const RecordBatchHeader header = *parse_header(records);
  if (crc32c(records.subspan(kCrcCoveredFrom)) != header.crc) return BatchError::corrupt_message;
  if (header.compression() > kMaxKnownCodec) return BatchError::unsupported_compression_type;
  if (header.last_offset_delta < 0 || header.record_count < 1 ||
      static_cast<std::int64_t>(header.record_count) !=
          static_cast<std::int64_t>(header.last_offset_delta) + 1) {
    return BatchError::invalid_record;
  }
  if (header.is_control()) return BatchError::invalid_record;
  // An idempotent or transactional batch must carry a sequence number.
  if (header.producer_id >= 0 && header.base_sequence < 0) return BatchError::invalid_record;
  if (header.compression() == 0) {
    if (const BatchError e = walk_records(header, records.subspan(kBatchHeaderSize), nullptr);
        e != BatchError::none) {
      return e;
    }
  }
  if (out != nullptr) *out = ValidatedBatch{header, records};
  return BatchError::none;
}

BatchError for_each_record(const ValidatedBatch& batch,
                           const std::function<void(const Record&)>& visit) {
  if (batch.header.compression() != 0) return BatchError::unsupported_compression_type;
  if (batch.bytes.size() < kBatchHeaderSize) return BatchError::invalid_record;
  return walk_records(batch.header, batch.bytes.subspan(kBatchHeaderSize), &visit);
}

BatchError for_each_record(const RecordBatchHeader& header, BytesView records,
                           const std::function<void(const Record&)>& visit) {
  return walk_records(header, records, &visit);
}

BatchError validate_records(const RecordBatchHeader& header, BytesView records) {
  return walk_records(header, records, nullptr);
}

BatchError for_each_batch(BytesView log_bytes,
                          const std::function<void(const RecordBatchHeader&, BytesView)>& visit) {
  while (true) {
    const auto header = parse_header(log_bytes);
    if (!header) return BatchError::none;  // empty, or a partial header at the tail
    const std::int64_t batch_size = header->size_in_bytes();
    if (batch_size < static_cast<std::int64_t>(kBatchHeaderSize)) {
      return BatchError::corrupt_message;
    }
    if (header->magic != kMagicV2) return BatchError::unsupported_for_message_format;
    if (batch_size > static_cast<std::int64_t>(log_bytes.size())) return BatchError::none;
    const auto size = static_cast<std::size_t>(batch_size);
    visit(*header, log_bytes.first(size));
    log_bytes = log_bytes.subspan(size);
  }
}

void patch_base_offset(std::span<std::byte> batch, std::int64_t base_offset) {
  require_header(batch);
  write_be(batch.data() + kBaseOffsetAt, base_offset);
}

void patch_partition_leader_epoch(std::span<std::byte> batch, std::int32_t leader_epoch) {
  require_header(batch);
  write_be(batch.data() + kPartitionLeaderEpochAt, leader_epoch);
}

void set_log_append_time(std::span<std::byte> batch, std::int64_t timestamp_ms) {
  require_header(batch);
  const auto attributes = read_be<std::int16_t>(batch.data() + kAttributesAt);
  write_be(batch.data() + kAttributesAt,
           static_cast<std::int16_t>(attributes | kLogAppendTimeFlag));
  write_be(batch.data() + kMaxTimestampAt, timestamp_ms);
  recompute_crc(batch);
}

void recompute_crc(std::span<std::byte> batch) {
  require_header(batch);
  write_be(batch.data() + kCrcOffset, crc32c(BytesView(batch).subspan(kCrcCoveredFrom)));
}

RecordBatchBuilder& RecordBatchBuilder::base_offset(std::int64_t v) {
  base_offset_ = v;
  return *this;
}

RecordBatchBuilder& RecordBatchBuilder::partition_leader_epoch(std::int32_t v) {
  partition_leader_epoch_ = v;
  return *this;
}

RecordBatchBuilder& RecordBatchBuilder::attributes(std::int16_t v) {
  attributes_ = v;
  return *this;
}

RecordBatchBuilder& RecordBatchBuilder::producer(std::int64_t producer_id,
                                                 std::int16_t producer_epoch,
                                                 std::int32_t base_sequence) {
  producer_id_ = producer_id;
  producer_epoch_ = producer_epoch;
  base_sequence_ = base_sequence;
  return *this;
}

RecordBatchBuilder& RecordBatchBuilder::add(Input record) {
  records_.push_back(std::move(record));
  return *this;
}

Bytes RecordBatchBuilder::build() const {
  std::int64_t base_timestamp = -1;
  std::int64_t max_timestamp = -1;
  if (!records_.empty()) {
    base_timestamp = records_.front().timestamp_ms;
    max_timestamp = base_timestamp;
    for (const Input& r : records_) max_timestamp = std::max(max_timestamp, r.timestamp_ms);
  }

  Bytes out(kBatchHeaderSize);
  Bytes body;
  for (std::size_t i = 0; i < records_.size(); ++i) {
    const Input& r = records_[i];
    body.clear();
    body.push_back(std::byte{0});  // record attributes, unused
    append_varint(body, r.timestamp_ms - base_timestamp);
    append_varint(body, static_cast<std::int64_t>(i));
    append_nullable_bytes(body, r.key);
    append_nullable_bytes(body, r.value);
    append_varint(body, static_cast<std::int64_t>(r.headers.size()));
    for (const Header& h : r.headers) {
      append_varint(body, static_cast<std::int64_t>(h.key.size()));
      for (char c : h.key) body.push_back(static_cast<std::byte>(c));
      append_nullable_bytes(body, h.value);
    }
    append_varint(out, static_cast<std::int64_t>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
  }

  std::byte* p = out.data();
  const auto count = static_cast<std::int32_t>(records_.size());
  write_be(p + kBaseOffsetAt, base_offset_);
  write_be(p + kBatchLengthAt, static_cast<std::int32_t>(out.size() - kBatchLengthOverhead));
  write_be(p + kPartitionLeaderEpochAt, partition_leader_epoch_);
  write_be(p + kMagicAt, kMagicV2);
  write_be(p + kAttributesAt, attributes_);
  write_be(p + kLastOffsetDeltaAt, static_cast<std::int32_t>(count - 1));
  write_be(p + kBaseTimestampAt, base_timestamp);
  write_be(p + kMaxTimestampAt, max_timestamp);
  write_be(p + kProducerIdAt, producer_id_);
  write_be(p + kProducerEpochAt, producer_epoch_);
  write_be(p + kBaseSequenceAt, base_sequence_);
  write_be(p + kRecordCountAt, count);
  recompute_crc(out);
  return out;
}

}  // namespace weir::protocol::records
