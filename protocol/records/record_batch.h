// Record batches, magic 2 (Kafka's DefaultRecordBatch): a zero-copy header view, the
// Produce v3+ validator, in-place patches the broker applies before appending, and a
// builder for tests and tools.
//
// Everything here works on views into a buffer the caller owns and keeps alive; nothing
// copies a batch. Functions are pure and thread-safe. Lengths read from the wire are
// never trusted: every read is bounds-checked against the view it came from.
//
// Batch layout (offsets in bytes, all integers big-endian):
//   0 base_offset int64          8 batch_length int32 (bytes after this field)
//  12 partition_leader_epoch     16 magic int8
//  17 crc uint32: CRC-32C of bytes [21, end)
//  21 attributes int16          23 last_offset_delta int32
//  27 base_timestamp int64      35 max_timestamp int64
//  43 producer_id int64         51 producer_epoch int16
//  53 base_sequence int32       57 record_count int32
//  61 records (compressed as one block when the codec is not 0)
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/framing/error_code.h"
#include "protocol/wire/types.h"

namespace weir::protocol::records {

inline constexpr std::size_t kBatchHeaderSize = 61;
// batch_length + kBatchLengthOverhead is the size of the whole batch.
inline constexpr std::size_t kBatchLengthOverhead = 12;
inline constexpr std::size_t kCrcOffset = 17;
// First byte covered by the CRC (attributes).
inline constexpr std::size_t kCrcCoveredFrom = 21;
inline constexpr std::int8_t kMagicV2 = 2;

// Compression codecs, attributes bits 0-2.
enum class Compression : std::int8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

struct RecordBatchHeader {
  std::int64_t base_offset = 0;
  std::int32_t batch_length = 0;
  std::int32_t partition_leader_epoch = 0;
  std::int8_t magic = 0;
  std::uint32_t crc = 0;
  std::int16_t attributes = 0;
  std::int32_t last_offset_delta = 0;
  std::int64_t base_timestamp = 0;
  std::int64_t max_timestamp = 0;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  std::int32_t record_count = 0;

  // Codec number 0-7 (values above 4 are not defined by Kafka).
  int compression() const { return attributes & 0x7; }
  // Bit 3: the broker stamped the batch (topic config LogAppendTime); max_timestamp is
  // then the append time and record timestamps are to be ignored.
  bool timestamp_type_is_log_append_time() const { return (attributes & 0x8) != 0; }
  bool is_transactional() const { return (attributes & 0x10) != 0; }
  bool is_control() const { return (attributes & 0x20) != 0; }
  // Offset of the last record: base_offset + last_offset_delta.
  std::int64_t last_offset() const { return base_offset + last_offset_delta; }
  // Size of the whole batch in bytes as the header claims it (not checked).
  std::int64_t size_in_bytes() const {
    return static_cast<std::int64_t>(batch_length) +
           static_cast<std::int64_t>(kBatchLengthOverhead);
  }
};

// Why a batch was refused, one value per Kafka error code a produce can get for it.
enum class BatchError {
  none,
  // CORRUPT_MESSAGE (2): the bytes were damaged: CRC-32C mismatch, or a batch_length too
  // small for any batch. Java clients retry it, which is right for damage in transit.
  corrupt_message,
  // INVALID_RECORD (87): intact bytes that break a rule: no whole batch, more than one,
  // magic other than 2, counts that disagree, a control batch, a
  // producer id without a sequence, malformed records. Not retriable: resending the same
  // bytes cannot succeed.
  invalid_record,
  // UNSUPPORTED_COMPRESSION_TYPE (76): codec 5-7.
  unsupported_compression_type,
  // UNSUPPORTED_FOR_MESSAGE_FORMAT (43): for_each_batch met magic other than 2. The
  // produce validator never returns it (Kafka answers INVALID_RECORD there).
  unsupported_for_message_format,
  // MESSAGE_TOO_LARGE (10): the records would decompress to more than the broker
  // accepts to hold in memory for one batch.
  message_too_large,
};

// Kafka error code to put in a response for `error`. (Not named to_error_code: callers
// with their own to_error_code overloads would find this one by ADL and become ambiguous.)
ErrorCode error_code_for(BatchError error);
const char* to_string(BatchError error);

struct ValidatedBatch {
  RecordBatchHeader header;
  BytesView bytes;  // the whole batch, header included; points into the caller's buffer
};

// One record of an uncompressed batch. Views point into the batch bytes.
struct Record {
  std::int64_t offset_delta = 0;
  std::int64_t timestamp_delta = 0;
  std::optional<BytesView> key;
  std::optional<BytesView> value;
  // Header keys are returned as bytes in a string_view; UTF-8 is not checked.
  std::vector<std::pair<std::string_view, std::optional<BytesView>>> headers;
};

// Reads the fixed 61-byte header. nullopt when `batch` is shorter than that. Checks
// nothing else: fields after `magic` mean something only when magic == 2.
std::optional<RecordBatchHeader> parse_header(BytesView batch);

// Validates the `records` field of one partition of a Produce request, v3 or later, which
// must hold exactly one magic-2 batch. On success fills `*out` (views into `records`).
// Checks, in the Java broker's order, so that a batch with several faults gets Kafka's
// answer:
//   fewer than 12 bytes                          -> invalid_record (no batch)
//   batch_length < 14                            -> corrupt_message
//   fewer bytes than batch_length + 12           -> invalid_record (no whole batch)
//   magic != 2                                   -> invalid_record
//   batch_length + 12 < 61 (shorter than header) -> corrupt_message
//   bytes after the batch (a second batch)       -> invalid_record
//   (base_offset is not checked: the broker overwrites it, as Kafka does)
//   CRC-32C of bytes [21, end) != crc            -> corrupt_message
//   codec > 4                                    -> unsupported_compression_type
//   last_offset_delta < 0, record_count < 1, or
//   record_count != last_offset_delta + 1        -> invalid_record
//   control batch (clients may not send them)    -> invalid_record
//   producer_id >= 0 with base_sequence < 0      -> invalid_record
//   uncompressed records that do not exactly fill
//   the batch, whose fields overrun their length,
//   or whose offset deltas are not 0..count-1    -> invalid_record
// Compressed records are not opened here (no codecs in the protocol layer). Rules that
// need configuration or state stay with the caller: max.message.bytes, zstd before
// Produce v7, timestamp bounds, keys on compacted topics, producer sequences.
BatchError validate_produce_records(BytesView records, ValidatedBatch* out);

// Visits each record of an uncompressed batch in order. The Record passed to `visit` and
// its views are valid only during the call. Returns unsupported_compression_type for a
// compressed batch and invalid_record if the records are malformed (records before the
// bad one have been visited).
BatchError for_each_record(const ValidatedBatch& batch,
                           const std::function<void(const Record&)>& visit);

// The same over the uncompressed records of a batch given apart from its header (a
// compressed batch's payload once decompressed).
BatchError for_each_record(const RecordBatchHeader& header, BytesView records,
                           const std::function<void(const Record&)>& visit);

// Checks the uncompressed records of a batch (those after the header, or a compressed
// batch's payload once decompressed) with the rules validate_produce_records applies to
// an uncompressed batch: exactly header.record_count records, offset deltas 0..count-1,
// every field within its record, nothing after the last record.
BatchError validate_records(const RecordBatchHeader& header, BytesView records);

// Iterates over concatenated batches (a log segment, a Fetch response payload) without
// checking CRCs. A trailing partial batch is skipped, as Kafka clients do. Stops with
// corrupt_message on a batch_length too small for a header, or
// unsupported_for_message_format on magic other than 2.
BatchError for_each_batch(BytesView log_bytes,
                          const std::function<void(const RecordBatchHeader&, BytesView)>& visit);

// In-place patches. `batch` must hold at least a full header (programmer error otherwise:
// throws std::invalid_argument). base_offset and partition_leader_epoch are outside the
// CRC, so they leave it valid.
void patch_base_offset(std::span<std::byte> batch, std::int64_t base_offset);
void patch_partition_leader_epoch(std::span<std::byte> batch, std::int32_t leader_epoch);
// Switches the batch to LogAppendTime: sets attributes bit 3 and max_timestamp, then
// recomputes the CRC (both fields are covered by it).
void set_log_append_time(std::span<std::byte> batch, std::int64_t timestamp_ms);
// Recomputes and stores the CRC over bytes [21, end) of `batch`.
void recompute_crc(std::span<std::byte> batch);

// Builds one uncompressed magic-2 batch with a correct CRC. For tests and tools; the
// broker itself never re-encodes client batches. Not thread-safe.
class RecordBatchBuilder {
 public:
  struct Header {
    std::string key;
    std::optional<Bytes> value;
  };
  struct Input {
    std::optional<Bytes> key;
    std::optional<Bytes> value;
    std::vector<Header> headers;
    std::int64_t timestamp_ms = 0;
  };

  RecordBatchBuilder& base_offset(std::int64_t v);
  RecordBatchBuilder& partition_leader_epoch(std::int32_t v);
  // Written verbatim. The builder never compresses: codec bits other than 0 make a batch
  // that misstates its codec, which only tests want.
  RecordBatchBuilder& attributes(std::int16_t v);
  RecordBatchBuilder& producer(std::int64_t producer_id, std::int16_t producer_epoch,
                               std::int32_t base_sequence);
  RecordBatchBuilder& add(Input record);

  // base_timestamp is the first record's timestamp and max_timestamp the largest
  // (both -1 for an empty batch); offset deltas are 0, 1, ...
  Bytes build() const;

 private:
  std::int64_t base_offset_ = 0;
  std::int32_t partition_leader_epoch_ = -1;
  std::int16_t attributes_ = 0;
  std::int64_t producer_id_ = -1;
  std::int16_t producer_epoch_ = -1;
  std::int32_t base_sequence_ = -1;
  std::vector<Input> records_;
};

}  // namespace weir::protocol::records
