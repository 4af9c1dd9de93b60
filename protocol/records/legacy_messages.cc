#include "protocol/records/legacy_messages.h"

#include <xxhash.h>
#include <zlib.h>

#include <algorithm>
#include <type_traits>

#include "protocol/records/compressed_batch.h"
#include "protocol/records/compression.h"

namespace weir::protocol::records {
namespace {

// offset int64 + message_size int32 before every message.
constexpr std::size_t kEntryOverhead = 12;
constexpr std::size_t kMagicByteAt = 16;
// crc, magic, attributes, key length, value length (+ timestamp in magic 1): Kafka's
// LegacyRecord.RECORD_OVERHEAD_V0 / V1.
constexpr std::size_t kMessageHeaderV0 = 14;
constexpr std::size_t kMessageHeaderV1 = 22;
constexpr std::int8_t kCodecMask = 0x07;
constexpr std::int8_t kLogAppendTimeBit = 0x08;
constexpr int kLastLegacyCodec = 3;  // lz4; zstd came with magic 2

template <typename T>
T read_be(const std::byte* p) {
  using U = std::make_unsigned_t<T>;
  U v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    v = static_cast<U>((v << 8) | std::to_integer<U>(p[i]));
  return static_cast<T>(v);
}

template <typename T>
void append_be(Bytes& out, T value) {
  using U = std::make_unsigned_t<T>;
  const auto v = static_cast<U>(value);
  for (std::size_t i = sizeof(T); i > 0; --i)
    out.push_back(static_cast<std::byte>((v >> (8 * (i - 1))) & 0xFFu));
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

std::uint32_t crc32_ieee(BytesView bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes a uInt length; messages are far below 4 GiB (a request is at most 2 GiB).
  crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size()));
  return static_cast<std::uint32_t>(crc);
}

// Reads a key or value: int32 length (negative means null, as LegacyRecord reads it).
bool read_nullable(BytesView message, std::size_t* position, std::optional<BytesView>* out) {
  if (message.size() - *position < 4) return false;
  const auto length = read_be<std::int32_t>(message.data() + *position);
  *position += 4;
  if (length < 0) {
    out->reset();
    return true;
  }
  if (message.size() - *position < static_cast<std::size_t>(length)) return false;
  *out = message.subspan(*position, static_cast<std::size_t>(length));
  *position += static_cast<std::size_t>(length);
  return true;
}

void append_nullable(Bytes& out, const std::optional<BytesView>& bytes) {
  if (!bytes) {
    append_be<std::int32_t>(out, -1);
    return;
  }
  append_be(out, static_cast<std::int32_t>(bytes->size()));
  out.insert(out.end(), bytes->begin(), bytes->end());
}

// Reads the message at the front of *rest and advances past it.
BatchError read_message(BytesView* rest, LegacyMessage* out) {
  // Kafka's iterator reads a trailing partial entry as the end of the set; a producer never
  // sends one, so like the magic-2 validator we refuse it rather than drop bytes silently.
  if (rest->size() < kEntryOverhead) return BatchError::invalid_record;
  const std::int64_t offset = read_be<std::int64_t>(rest->data());
  const std::int32_t size = read_be<std::int32_t>(rest->data() + 8);
  if (size < static_cast<std::int32_t>(kMessageHeaderV0)) return BatchError::corrupt_message;
  if (rest->size() - kEntryOverhead < static_cast<std::size_t>(size))
    return BatchError::invalid_record;
  const BytesView message = rest->subspan(kEntryOverhead, static_cast<std::size_t>(size));
  *rest = rest->subspan(kEntryOverhead + static_cast<std::size_t>(size));

  const auto magic = read_be<std::int8_t>(message.data() + 4);
  if (magic != kMagicV0 && magic != kMagicV1) return BatchError::invalid_record;
  if (message.size() < (magic == kMagicV0 ? kMessageHeaderV0 : kMessageHeaderV1))
    return BatchError::corrupt_message;
  if (crc32_ieee(message.subspan(4)) != read_be<std::uint32_t>(message.data()))
    return BatchError::corrupt_message;
  out->offset = offset;
  out->magic = magic;
  out->attributes = read_be<std::int8_t>(message.data() + 5);
  std::size_t position = 6;
  out->timestamp = -1;
  if (magic == kMagicV1) {
    out->timestamp = read_be<std::int64_t>(message.data() + position);
    position += 8;
  }
  if (!read_nullable(message, &position, &out->key) ||
      !read_nullable(message, &position, &out->value) || position != message.size()) {
    return BatchError::invalid_record;
  }
  return BatchError::none;
}

// Rewrites the header checksum byte of an LZ4 frame in place: over the frame descriptor
// (correct) or over magic and descriptor (Kafka's magic 0 frames). False when `frame` is
// too short to hold its descriptor.
bool rewrite_lz4_header_checksum(std::span<std::byte> frame, bool kafka_v0_style) {
  constexpr std::size_t descriptor_at = 4;
  if (frame.size() < descriptor_at + 3) return false;
  const auto flags = std::to_integer<unsigned>(frame[descriptor_at]);
  std::size_t descriptor_size = 2 + ((flags & 0x08) ? 8 : 0) + ((flags & 0x01) ? 4 : 0);
  if (frame.size() < descriptor_at + descriptor_size + 1) return false;
  const std::size_t from = kafka_v0_style ? 0 : descriptor_at;
  const BytesView covered(frame.data() + from, descriptor_at + descriptor_size - from);
  frame[descriptor_at + descriptor_size] =
      static_cast<std::byte>((XXH32(covered.data(), covered.size(), 0) >> 8) & 0xFF);
  return true;
}

}  // namespace

std::optional<std::int8_t> declared_magic(BytesView records) {
  if (records.size() <= kMagicByteAt) return std::nullopt;
  return read_be<std::int8_t>(records.data() + kMagicByteAt);
}

BatchError for_each_legacy_message(BytesView message_set,
                                   const std::function<void(const LegacyMessage&)>& visit) {
  LegacyMessage message;
  while (!message_set.empty()) {
    if (const BatchError error = read_message(&message_set, &message); error != BatchError::none)
      return error;
    visit(message);
  }
  return BatchError::none;
}

void append_legacy_message(const LegacyMessage& message, Bytes* message_set) {
  Bytes& out = *message_set;
  append_be(out, message.offset);
  const std::size_t size_at = out.size();
  append_be<std::int32_t>(out, 0);
  const std::size_t crc_at = out.size();
  append_be<std::uint32_t>(out, 0);
  out.push_back(static_cast<std::byte>(message.magic));
  out.push_back(static_cast<std::byte>(message.attributes));
  if (message.magic == kMagicV1) append_be(out, message.timestamp);
  append_nullable(out, message.key);
  append_nullable(out, message.value);
  write_be(out.data() + size_at, static_cast<std::int32_t>(out.size() - crc_at));
  write_be(out.data() + crc_at, crc32_ieee(BytesView(out).subspan(crc_at + 4)));
}

Bytes compress_inner_messages(Compression codec, std::int8_t magic, BytesView message_set) {
  Bytes payload = compress(codec, message_set);
  if (codec == Compression::lz4 && magic == kMagicV0) rewrite_lz4_header_checksum(payload, true);
  return payload;
}

BatchError decompress_inner_messages(Compression codec, std::int8_t magic, BytesView payload,
                                     std::size_t max_uncompressed_bytes, Bytes* message_set) {
  message_set->clear();
  if (codec == Compression::lz4 && magic == kMagicV0) {
    Bytes fixed(payload.begin(), payload.end());
    if (!rewrite_lz4_header_checksum(fixed, false)) return BatchError::corrupt_message;
    return to_batch_error(decompress(codec, fixed, max_uncompressed_bytes, message_set));
  }
  return to_batch_error(decompress(codec, payload, max_uncompressed_bytes, message_set));
}

BatchError upconvert_message_set(BytesView message_set, std::size_t max_uncompressed_bytes,
                                 Bytes* batch) {
  RecordBatchBuilder builder;
  std::int32_t count = 0;
  bool log_append_time = false;
  Compression codec = Compression::none;
  std::size_t uncompressed_bytes = 0;
  const auto add = [&](const LegacyMessage& message, std::int64_t timestamp) {
    RecordBatchBuilder::Input record;
    if (message.key) record.key = Bytes(message.key->begin(), message.key->end());
    if (message.value) record.value = Bytes(message.value->begin(), message.value->end());
    record.timestamp_ms = message.magic == kMagicV0 ? -1 : timestamp;
    builder.add(std::move(record));
    ++count;
  };

  BytesView rest = message_set;
  if (rest.empty()) return BatchError::invalid_record;
  while (!rest.empty()) {
    LegacyMessage message;
    if (const BatchError error = read_message(&rest, &message); error != BatchError::none)
      return error;
    const bool stamped = message.magic == kMagicV1 && (message.attributes & kLogAppendTimeBit) != 0;
    log_append_time |= stamped;
    const int message_codec = message.attributes & kCodecMask;
    if (message_codec == 0) {
      add(message, message.timestamp);
      continue;
    }
    if (message_codec > kLastLegacyCodec) return BatchError::unsupported_compression_type;
    if (!message.value) return BatchError::invalid_record;
    codec = static_cast<Compression>(message_codec);
    Bytes inner;
    if (const BatchError error =
            decompress_inner_messages(codec, message.magic, *message.value,
                                      max_uncompressed_bytes - uncompressed_bytes, &inner);
        error != BatchError::none) {
      return error;
    }
    uncompressed_bytes += inner.size();
    BytesView inner_rest = inner;
    if (inner_rest.empty()) return BatchError::invalid_record;
    while (!inner_rest.empty()) {
      LegacyMessage inner_message;
      if (const BatchError error = read_message(&inner_rest, &inner_message);
          error != BatchError::none)
        return error;
      // Kafka's LogValidator: "Compressed outer record should not have an inner record with
      // a compression attribute set" and inner magic must match the wrapper's.
      if ((inner_message.attributes & kCodecMask) != 0 || inner_message.magic != message.magic) {
        return BatchError::invalid_record;
      }
      // With LogAppendTime the wrapper's timestamp is the only one that counts.
      add(inner_message, stamped ? message.timestamp : inner_message.timestamp);
    }
  }
  if (count == 0) return BatchError::invalid_record;
  builder.attributes(log_append_time ? kLogAppendTimeBit : 0);
  Bytes plain = builder.build();
  if (codec == Compression::none) {
    *batch = std::move(plain);
    return BatchError::none;
  }
  ValidatedBatch validated;
  if (const BatchError error = validate_produce_records(plain, &validated);
      error != BatchError::none)
    return error;
  *batch = rebuild_batch(validated, BytesView(plain).subspan(kBatchHeaderSize), codec);
  return BatchError::none;
}

BatchError downconvert_batches(BytesView log_bytes, std::int8_t magic, std::int64_t fetch_offset,
                               std::size_t max_uncompressed_bytes, Bytes* message_set) {
  Bytes& out = *message_set;
  out.clear();
  BatchError failure = BatchError::none;
  bool stopped = false;
  const auto stop = [&](BatchError error) {
    stopped = true;
    if (out.empty()) failure = error;
  };
  const BatchError walk = for_each_batch(log_bytes, [&](const RecordBatchHeader& header,
                                                        BytesView bytes) {
    if (stopped || header.is_control()) return;
    if (header.compression() > kLastLegacyCodec)
      return stop(BatchError::unsupported_compression_type);
    const auto codec = static_cast<Compression>(header.compression());
    const bool stamped = header.timestamp_type_is_log_append_time();
    const auto attributes =
        static_cast<std::int8_t>(magic == kMagicV1 && stamped ? kLogAppendTimeBit : 0);
    const auto timestamp_of = [&](const Record& record) {
      return stamped ? header.max_timestamp : header.base_timestamp + record.timestamp_delta;
    };

    if (codec == Compression::none) {
      const BatchError error =
          for_each_record(ValidatedBatch{header, bytes}, [&](const Record& record) {
            const std::int64_t offset = header.base_offset + record.offset_delta;
            if (offset < fetch_offset) return;
            append_legacy_message(
                {offset, magic, attributes, timestamp_of(record), record.key, record.value}, &out);
          });
      if (error != BatchError::none) stop(error);
      return;
    }

    Bytes records;
    if (const BatchError error =
            decompress_records(ValidatedBatch{header, bytes}, max_uncompressed_bytes, &records);
        error != BatchError::none) {
      return stop(error);
    }
    Bytes inner;
    std::int64_t last_offset = header.base_offset;
    std::int64_t max_timestamp = -1;
    const BatchError error = for_each_record(header, records, [&](const Record& record) {
      last_offset = header.base_offset + record.offset_delta;
      max_timestamp = std::max(max_timestamp, timestamp_of(record));
      const std::int64_t inner_offset = magic == kMagicV1 ? record.offset_delta : last_offset;
      append_legacy_message(
          {inner_offset, magic, attributes, timestamp_of(record), record.key, record.value},
          &inner);
    });
    if (error != BatchError::none) return stop(error);
    const Bytes payload = compress_inner_messages(codec, magic, inner);
    const auto wrapper_attributes = static_cast<std::int8_t>(attributes | header.compression());
    append_legacy_message(
        {last_offset, magic, wrapper_attributes, stamped ? header.max_timestamp : max_timestamp,
         std::nullopt, BytesView(payload)},
        &out);
  });
  if (walk != BatchError::none && !stopped && out.empty()) failure = walk;
  return failure;
}

std::size_t whole_messages_within(BytesView message_set, std::size_t max_bytes) {
  std::size_t kept = 0;
  while (message_set.size() - kept >= kEntryOverhead) {
    const auto size = read_be<std::int32_t>(message_set.data() + kept + 8);
    if (size < 0) break;
    const std::size_t entry = kEntryOverhead + static_cast<std::size_t>(size);
    if (entry > message_set.size() - kept) break;
    if (kept > 0 && kept + entry > max_bytes) break;
    kept += entry;
  }
  return kept;
}

}  // namespace weir::protocol::records
