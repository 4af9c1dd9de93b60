// Message sets of magic 0 and 1 (Kafka's LegacyRecord, KIP-31/32): what Produce v0-2
// carries and Fetch v0-3 returns. Weir stores magic 2 only, so the broker converts at the
// protocol boundary: up on the way in, down on the way out, as Kafka 3.x's LogValidator
// and RecordsUtil.downConvert do.
//
// One entry of a message set (integers big-endian):
//   offset int64 | message_size int32 (bytes after this field)
//   | crc uint32: CRC-32 (IEEE, zlib's) of the bytes after it
//   | magic int8 | attributes int8 | timestamp int64 (magic 1 only)
//   | key (int32 length, -1 for null, then bytes) | value (the same)
// Attributes bits 0-2 are the codec (gzip, snappy, lz4: zstd needs magic 2), bit 3 (magic
// 1) says LogAppendTime. A compressed message is a wrapper whose value is the compressed
// message set of its inner messages. In magic 1 the inner offsets are relative (0..n-1)
// and the wrapper carries the absolute offset of the last inner message; in magic 0 every
// offset is absolute. Magic 0 lz4 uses Kafka's pre-KIP-57 frame, whose header checksum
// wrongly covers the frame magic too.
//
// Pure functions over caller-owned buffers; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "protocol/records/record_batch.h"
#include "protocol/wire/types.h"

namespace weir::protocol::records {

inline constexpr std::int8_t kMagicV0 = 0;
inline constexpr std::int8_t kMagicV1 = 1;

// The magic byte `records` declares (byte 16 in every format); nullopt when too short.
std::optional<std::int8_t> declared_magic(BytesView records);

// Converts the message set of one partition of a Produce v0-2 request into one magic-2
// batch in *batch, compressed with the codec of the (last) compressed wrapper as Kafka
// keeps the producer's codec. Offsets start at 0 (the broker assigns them); magic 0
// messages get timestamp -1 (Kafka's NO_TIMESTAMP); a magic 1 message or wrapper marked
// LogAppendTime makes the batch LogAppendTime. Errors:
//   corrupt_message               a CRC-32 mismatch (outer or inner), message_size < 14,
//                                 a message shorter than its magic's header, a damaged
//                                 codec stream
//   invalid_record                no message, a partial trailing entry, magic other than
//                                 0/1, key/value lengths that do not fill the message, a
//                                 wrapper without value, an inner message compressed or
//                                 of another magic than its wrapper
//   unsupported_compression_type  codec 4 (zstd) or above
//   message_too_large             inner message sets above max_uncompressed_bytes in all
BatchError upconvert_message_set(BytesView message_set, std::size_t max_uncompressed_bytes,
                                 Bytes* batch);

// Converts stored magic-2 batches (a storage read) to a message set of `magic` (0 or 1)
// for Fetch v0-3. An uncompressed batch becomes one message per record from fetch_offset
// on; a compressed batch becomes one wrapper message with the same codec holding all its
// records (clients skip those below their offset, as with Kafka). Headers, producer ids
// and sequences have no place in these formats and are dropped; control batches are
// skipped. Conversion stops at a batch it cannot express (zstd) or read: the error is
// returned only when nothing was converted before it (unsupported_compression_type for
// zstd, as Kafka answers a Fetch below v10), otherwise the message set ends there.
BatchError downconvert_batches(BytesView log_bytes, std::int8_t magic, std::int64_t fetch_offset,
                               std::size_t max_uncompressed_bytes, Bytes* message_set);

// Length of the longest prefix of `message_set` made of whole entries that fits in
// `max_bytes`, but never less than the first entry, so a consumer always makes progress
// (converted messages are larger than the stored batches the read limit was applied to).
std::size_t whole_messages_within(BytesView message_set, std::size_t max_bytes);

// One legacy message as it appears on the wire, for tests and tools.
struct LegacyMessage {
  std::int64_t offset = 0;
  std::int8_t magic = kMagicV1;
  std::int8_t attributes = 0;
  std::int64_t timestamp = -1;  // ignored for magic 0
  std::optional<BytesView> key;
  std::optional<BytesView> value;
};

// Appends `message` as one entry with its CRC-32 to *message_set.
void append_legacy_message(const LegacyMessage& message, Bytes* message_set);

// Visits each entry of a message set (not opening wrappers); checks lengths and CRCs as
// upconvert_message_set does. Views are valid while `message_set` is.
BatchError for_each_legacy_message(BytesView message_set,
                                   const std::function<void(const LegacyMessage&)>& visit);

// Compresses an inner message set for a wrapper of `magic` (Kafka's broken lz4 frame
// header checksum for magic 0), and the reverse.
Bytes compress_inner_messages(Compression codec, std::int8_t magic, BytesView message_set);
BatchError decompress_inner_messages(Compression codec, std::int8_t magic, BytesView payload,
                                     std::size_t max_uncompressed_bytes, Bytes* message_set);

}  // namespace weir::protocol::records
