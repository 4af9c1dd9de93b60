// Message sets of magic 0 and 1: up-conversion of what Produce v0-2 clients send into one
// magic-2 batch, and down-conversion of stored batches for Fetch v0-3 clients, with every
// codec the legacy formats allow.
#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/records/compressed_batch.h"
#include "protocol/records/compression.h"
#include "protocol/records/legacy_messages.h"
#include "protocol/records/record_batch.h"

using namespace weir::protocol;
using namespace weir::protocol::records;

namespace {

constexpr Compression kLegacyCodecs[] = {Compression::gzip, Compression::snappy, Compression::lz4};
constexpr std::size_t kLimit = 1 << 20;

Bytes bytes_of(std::string_view s) {
  Bytes out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

std::string text_of(const std::optional<BytesView>& bytes) {
  if (!bytes) return "<null>";
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

struct Plain {
  std::int64_t offset;
  std::int64_t timestamp;
  std::string key;
  std::string value;
};

std::vector<Plain> records_of(BytesView batch_bytes) {
  ValidatedBatch batch;
  REQUIRE(validate_produce_records(batch_bytes, &batch) == BatchError::none);
  Bytes records;
  REQUIRE(decompress_records(batch, kLimit, &records) == BatchError::none);
  std::vector<Plain> out;
  REQUIRE(for_each_record(batch.header, records, [&](const Record& r) {
            const std::int64_t timestamp = batch.header.timestamp_type_is_log_append_time()
                                               ? batch.header.max_timestamp
                                               : batch.header.base_timestamp + r.timestamp_delta;
            out.push_back({batch.header.base_offset + r.offset_delta, timestamp, text_of(r.key),
                           text_of(r.value)});
          }) == BatchError::none);
  return out;
}

std::vector<LegacyMessage> messages_of(BytesView message_set) {
  std::vector<LegacyMessage> out;
  REQUIRE(for_each_legacy_message(message_set, [&](const LegacyMessage& m) { out.push_back(m); }) ==
          BatchError::none);
  return out;
}

// Three messages of `magic` with offsets first..first+2, timestamps 1000, 1001, 1002.
Bytes three_messages(std::int8_t magic, std::int64_t first_offset, Bytes* storage) {
  *storage = bytes_of("k0v0k2v2v1");
  const BytesView s(*storage);
  Bytes set;
  append_legacy_message({first_offset, magic, 0, 1000, s.subspan(0, 2), s.subspan(2, 2)}, &set);
  append_legacy_message({first_offset + 1, magic, 0, 1001, std::nullopt, s.subspan(8, 2)}, &set);
  append_legacy_message({first_offset + 2, magic, 0, 1002, s.subspan(4, 2), std::nullopt}, &set);
  return set;
}

Bytes wrapper(Compression codec, std::int8_t magic, const Bytes& inner, std::int64_t offset,
              std::int8_t extra = 0) {
  const Bytes payload = compress_inner_messages(codec, magic, inner);
  Bytes set;
  append_legacy_message({offset, magic, static_cast<std::int8_t>(static_cast<int>(codec) | extra),
                         5000, std::nullopt, BytesView(payload)},
                        &set);
  return set;
}

Bytes stored_batch(Compression codec, std::int64_t base_offset, std::int16_t attributes = 0) {
  RecordBatchBuilder builder;
  builder.base_offset(base_offset).attributes(attributes);
  for (int i = 0; i < 3; ++i) {
    RecordBatchBuilder::Input record;
    record.key = bytes_of("key" + std::to_string(i));
    record.value = bytes_of("value" + std::to_string(i));
    record.headers.push_back({"h", bytes_of("dropped")});
    record.timestamp_ms = 2000 + i;
    builder.add(std::move(record));
  }
  Bytes plain = builder.build();
  if (codec == Compression::none) return plain;
  ValidatedBatch validated;
  REQUIRE(validate_produce_records(plain, &validated) == BatchError::none);
  return rebuild_batch(validated, BytesView(plain).subspan(kBatchHeaderSize), codec);
}

std::int8_t magic_named(int m) { return m == 0 ? kMagicV0 : kMagicV1; }

}  // namespace

TEST_CASE(
    "an uncompressed magic 1 message set up-converts to one batch with keys, values and "
    "timestamps") {
  Bytes storage;
  Bytes batch;
  REQUIRE(upconvert_message_set(three_messages(kMagicV1, 0, &storage), kLimit, &batch) ==
          BatchError::none);
  const auto header = *parse_header(batch);
  CHECK(header.magic == kMagicV2);
  CHECK(header.compression() == 0);
  CHECK(header.record_count == 3);
  CHECK(header.max_timestamp == 1002);
  CHECK_FALSE(header.timestamp_type_is_log_append_time());
  const auto records = records_of(batch);
  REQUIRE(records.size() == 3);
  CHECK(records[0].key == "k0");
  CHECK(records[0].value == "v0");
  CHECK(records[0].timestamp == 1000);
  CHECK(records[1].key == "<null>");
  CHECK(records[1].value == "v1");
  CHECK(records[2].value == "<null>");
  CHECK(records[2].timestamp == 1002);
}

TEST_CASE("magic 0 messages up-convert with no timestamp (-1), as Kafka's NO_TIMESTAMP") {
  Bytes storage;
  Bytes batch;
  REQUIRE(upconvert_message_set(three_messages(kMagicV0, 0, &storage), kLimit, &batch) ==
          BatchError::none);
  CHECK(parse_header(batch)->max_timestamp == -1);
  for (const auto& record : records_of(batch)) CHECK(record.timestamp == -1);
}

TEST_CASE(
    "a compressed wrapper up-converts to a batch with the same codec and every inner message") {
  for (const Compression codec : kLegacyCodecs) {
    for (int m : {0, 1}) {
      INFO(codec_name(codec) << " magic " << m);
      const std::int8_t magic = magic_named(m);
      Bytes storage;
      // Magic 1 inner offsets are relative; magic 0 ones absolute. Both are reassigned.
      const Bytes inner = three_messages(magic, m == 1 ? 0 : 40, &storage);
      Bytes batch;
      REQUIRE(upconvert_message_set(wrapper(codec, magic, inner, 42), kLimit, &batch) ==
              BatchError::none);
      CHECK(parse_header(batch)->compression() == static_cast<int>(codec));
      const auto records = records_of(batch);
      REQUIRE(records.size() == 3);
      CHECK(records[0].offset == 0);
      CHECK(records[2].offset == 2);
      CHECK(records[0].value == "v0");
      CHECK(records[1].value == "v1");
      CHECK(records[0].timestamp == (m == 1 ? 1000 : -1));
    }
  }
}

TEST_CASE("a LogAppendTime magic 1 wrapper gives its timestamp to every record") {
  Bytes storage;
  const Bytes inner = three_messages(kMagicV1, 0, &storage);
  Bytes batch;
  REQUIRE(upconvert_message_set(wrapper(Compression::gzip, kMagicV1, inner, 2, 0x08), kLimit,
                                &batch) == BatchError::none);
  CHECK(parse_header(batch)->timestamp_type_is_log_append_time());
  for (const auto& record : records_of(batch)) CHECK(record.timestamp == 5000);
}

TEST_CASE("a legacy message with a wrong CRC-32 is CORRUPT_MESSAGE, outside or inside a wrapper") {
  Bytes storage;
  Bytes set = three_messages(kMagicV1, 0, &storage);
  Bytes damaged = set;
  damaged.back() ^= std::byte{0x01};  // the last message's value
  Bytes batch;
  CHECK(upconvert_message_set(damaged, kLimit, &batch) == BatchError::corrupt_message);
  CHECK(error_code_for(BatchError::corrupt_message) == ErrorCode::corrupt_message);

  for (const Compression codec : kLegacyCodecs) {
    INFO(codec_name(codec));
    CHECK(upconvert_message_set(wrapper(codec, kMagicV1, damaged, 2), kLimit, &batch) ==
          BatchError::corrupt_message);
    // A truncated compressed payload under a valid wrapper CRC: the codec must notice.
    Bytes payload = compress_inner_messages(codec, kMagicV1, set);
    payload.resize(payload.size() / 2);
    Bytes rebuilt;
    append_legacy_message(
        {2, kMagicV1, static_cast<std::int8_t>(codec), 0, std::nullopt, BytesView(payload)},
        &rebuilt);
    CHECK(upconvert_message_set(rebuilt, kLimit, &batch) == BatchError::corrupt_message);
  }
}

TEST_CASE("malformed legacy message sets are refused with Kafka's error") {
  Bytes storage;
  const Bytes set = three_messages(kMagicV1, 0, &storage);
  Bytes batch;
  CHECK(upconvert_message_set(Bytes{}, kLimit, &batch) == BatchError::invalid_record);
  CHECK(upconvert_message_set(BytesView(set).first(set.size() - 3), kLimit, &batch) ==
        BatchError::invalid_record);

  Bytes zstd_wrapper;
  const Bytes payload = compress(Compression::zstd, set);
  append_legacy_message({2, kMagicV1, 4, 0, std::nullopt, BytesView(payload)}, &zstd_wrapper);
  CHECK(upconvert_message_set(zstd_wrapper, kLimit, &batch) ==
        BatchError::unsupported_compression_type);

  Bytes nested =
      wrapper(Compression::gzip, kMagicV1, wrapper(Compression::gzip, kMagicV1, set, 2), 2);
  CHECK(upconvert_message_set(nested, kLimit, &batch) == BatchError::invalid_record);

  Bytes mixed_magic =
      wrapper(Compression::gzip, kMagicV1, three_messages(kMagicV0, 0, &storage), 2);
  CHECK(upconvert_message_set(mixed_magic, kLimit, &batch) == BatchError::invalid_record);

  Bytes null_wrapper;
  append_legacy_message({0, kMagicV1, 1, 0, std::nullopt, std::nullopt}, &null_wrapper);
  CHECK(upconvert_message_set(null_wrapper, kLimit, &batch) == BatchError::invalid_record);

  CHECK(upconvert_message_set(wrapper(Compression::gzip, kMagicV1, set, 2), 10, &batch) ==
        BatchError::message_too_large);
}

TEST_CASE("an uncompressed batch down-converts to one message per record from the fetch offset") {
  const Bytes stored = stored_batch(Compression::none, 100);
  for (int m : {0, 1}) {
    INFO("magic " << m);
    Bytes set;
    REQUIRE(downconvert_batches(stored, magic_named(m), 101, kLimit, &set) == BatchError::none);
    const auto messages = messages_of(set);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].offset == 101);
    CHECK(messages[1].offset == 102);
    CHECK(messages[0].magic == magic_named(m));
    CHECK(text_of(messages[0].key) == "key1");
    CHECK(text_of(messages[0].value) == "value1");
    if (m == 1) CHECK(messages[1].timestamp == 2002);
  }
}

TEST_CASE(
    "a compressed batch down-converts to one wrapper with Kafka's inner and wrapper offsets") {
  for (const Compression codec : kLegacyCodecs) {
    for (int m : {0, 1}) {
      INFO(codec_name(codec) << " magic " << m);
      const std::int8_t magic = magic_named(m);
      Bytes set;
      REQUIRE(downconvert_batches(stored_batch(codec, 100), magic, 101, kLimit, &set) ==
              BatchError::none);
      const auto wrappers = messages_of(set);
      REQUIRE(wrappers.size() == 1);
      CHECK(wrappers[0].offset == 102);  // the last inner message's absolute offset
      CHECK((wrappers[0].attributes & 0x07) == static_cast<int>(codec));
      if (m == 1) CHECK(wrappers[0].timestamp == 2002);
      REQUIRE(wrappers[0].value);
      Bytes inner;
      REQUIRE(decompress_inner_messages(codec, magic, *wrappers[0].value, kLimit, &inner) ==
              BatchError::none);
      const auto messages = messages_of(inner);
      REQUIRE(messages.size() == 3);  // the whole batch: clients skip offsets below theirs
      for (std::size_t i = 0; i < 3; ++i) {
        CHECK(messages[i].offset == (m == 1 ? 0 : 100) + static_cast<std::int64_t>(i));
        CHECK(text_of(messages[i].value) == "value" + std::to_string(i));
      }
      // And a client's message set converts back to the same records.
      Bytes batch;
      REQUIRE(upconvert_message_set(set, kLimit, &batch) == BatchError::none);
      CHECK(records_of(batch)[2].value == "value2");
    }
  }
}

TEST_CASE("magic 0 lz4 wrappers use Kafka's old frame header checksum") {
  Bytes storage;
  const Bytes inner = three_messages(kMagicV0, 0, &storage);
  const Bytes old_style = compress_inner_messages(Compression::lz4, kMagicV0, inner);
  Bytes out;
  CHECK(decompress(Compression::lz4, old_style, kLimit, &out) == CodecError::corrupt);
  CHECK(decompress_inner_messages(Compression::lz4, kMagicV0, old_style, kLimit, &out) ==
        BatchError::none);
  CHECK(out == inner);
  const Bytes proper = compress_inner_messages(Compression::lz4, kMagicV1, inner);
  CHECK(proper == compress(Compression::lz4, inner));
}

TEST_CASE("a LogAppendTime batch down-converts to magic 1 messages stamped with the append time") {
  Bytes stored = stored_batch(Compression::none, 0);
  set_log_append_time(stored, 9999);
  Bytes set;
  REQUIRE(downconvert_batches(stored, kMagicV1, 0, kLimit, &set) == BatchError::none);
  for (const auto& message : messages_of(set)) {
    CHECK(message.timestamp == 9999);
    CHECK((message.attributes & 0x08) != 0);
  }
}

TEST_CASE(
    "zstd batches cannot be down-converted: an error first, the end of the message set later") {
  Bytes set;
  CHECK(downconvert_batches(stored_batch(Compression::zstd, 0), kMagicV1, 0, kLimit, &set) ==
        BatchError::unsupported_compression_type);
  Bytes log = stored_batch(Compression::none, 0);
  const Bytes zstd = stored_batch(Compression::zstd, 3);
  log.insert(log.end(), zstd.begin(), zstd.end());
  REQUIRE(downconvert_batches(log, kMagicV1, 0, kLimit, &set) == BatchError::none);
  CHECK(messages_of(set).size() == 3);
}

TEST_CASE("a down-converted message set is cut to whole messages, never below the first") {
  Bytes set;
  REQUIRE(downconvert_batches(stored_batch(Compression::none, 0), kMagicV1, 0, kLimit, &set) ==
          BatchError::none);
  const std::size_t first = whole_messages_within(set, 1);
  REQUIRE(first > 0);
  CHECK(messages_of(BytesView(set).first(first)).size() == 1);
  CHECK(whole_messages_within(set, first * 2 + 1) == first * 2);  // all three are the same size
  CHECK(whole_messages_within(set, set.size()) == set.size());
  CHECK(whole_messages_within(BytesView(set).first(set.size() - 1), kLimit) == first * 2);
}
