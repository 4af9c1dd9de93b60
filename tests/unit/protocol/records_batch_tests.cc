#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/records/crc32c.h"
#include "protocol/records/record_batch.h"

using namespace weir::protocol;
using namespace weir::protocol::records;

namespace {

Bytes bytes_of(std::string_view s) {
  Bytes out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

std::string string_of(BytesView v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

Bytes sample_batch() {
  RecordBatchBuilder builder;
  builder.producer(1234, 5, 17)
      .add({bytes_of("key-0"), bytes_of("value-0"), {{"trace", bytes_of("abc")}}, 1000})
      .add({std::nullopt, bytes_of("value-1"), {}, 1003})
      .add({bytes_of("key-2"), std::nullopt, {{"h1", std::nullopt}, {"h2", bytes_of("")}}, 999});
  return builder.build();
}

BatchError validate(BytesView records) {
  ValidatedBatch out;
  return validate_produce_records(records, &out);
}

void put_be(Bytes& b, std::size_t at, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    b[at + width - 1 - i] = static_cast<std::byte>((value >> (8 * i)) & 0xFF);
  }
}

void append_be(Bytes& b, std::uint64_t value, std::size_t width) {
  b.resize(b.size() + width);
  put_be(b, b.size() - width, value, width);
}

void append_raw(Bytes& b, std::initializer_list<int> values) {
  for (int v : values) b.push_back(static_cast<std::byte>(v));
}

// Writes a header field and fixes the CRC so that only the field under test is wrong.
void set_field_and_fix_crc(Bytes& batch, std::size_t at, std::uint64_t value, std::size_t width) {
  put_be(batch, at, value, width);
  recompute_crc(batch);
}

constexpr std::size_t kAttributesAt = 21;
constexpr std::size_t kLastOffsetDeltaAt = 23;
constexpr std::size_t kRecordCountAt = 57;

}  // namespace

TEST_CASE("a batch from the builder validates and its records read back") {
  const Bytes batch = sample_batch();
  ValidatedBatch validated;
  REQUIRE(validate_produce_records(batch, &validated) == BatchError::none);

  const RecordBatchHeader& h = validated.header;
  CHECK(validated.bytes.data() == batch.data());
  CHECK(validated.bytes.size() == batch.size());
  CHECK(h.base_offset == 0);
  CHECK(h.batch_length == static_cast<std::int32_t>(batch.size() - 12));
  CHECK(h.magic == 2);
  CHECK(h.compression() == 0);
  CHECK_FALSE(h.timestamp_type_is_log_append_time());
  CHECK_FALSE(h.is_transactional());
  CHECK_FALSE(h.is_control());
  CHECK(h.last_offset_delta == 2);
  CHECK(h.record_count == 3);
  CHECK(h.base_timestamp == 1000);
  CHECK(h.max_timestamp == 1003);
  CHECK(h.producer_id == 1234);
  CHECK(h.producer_epoch == 5);
  CHECK(h.base_sequence == 17);
  CHECK(h.crc == crc32c(BytesView(batch).subspan(21)));

  std::vector<Record> seen;
  std::vector<std::vector<std::pair<std::string, std::optional<std::string>>>> headers;
  REQUIRE(for_each_record(validated, [&](const Record& r) {
            seen.push_back(r);
            auto& hs = headers.emplace_back();
            for (const auto& [k, v] : r.headers) {
              hs.emplace_back(std::string(k),
                              v ? std::optional<std::string>(string_of(*v)) : std::nullopt);
            }
          }) == BatchError::none);
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].offset_delta == 0);
  CHECK(seen[0].timestamp_delta == 0);
  CHECK(string_of(*seen[0].key) == "key-0");
  CHECK(string_of(*seen[0].value) == "value-0");
  CHECK(headers[0] == decltype(headers)::value_type{{"trace", "abc"}});
  CHECK(seen[1].offset_delta == 1);
  CHECK(seen[1].timestamp_delta == 3);
  CHECK_FALSE(seen[1].key.has_value());
  CHECK(string_of(*seen[1].value) == "value-1");
  CHECK(headers[1].empty());
  CHECK(seen[2].offset_delta == 2);
  CHECK(seen[2].timestamp_delta == -1);
  CHECK(string_of(*seen[2].key) == "key-2");
  CHECK_FALSE(seen[2].value.has_value());
  CHECK(headers[2] == decltype(headers)::value_type{{"h1", std::nullopt}, {"h2", ""}});
}

TEST_CASE("every single-byte flip in the CRC-covered region is corrupt_message") {
  const Bytes original = sample_batch();
  for (std::size_t i = 21; i < original.size(); ++i) {
    for (int mask : {0x01, 0x80, 0xFF}) {
      Bytes batch = original;
      batch[i] ^= static_cast<std::byte>(mask);
      INFO("byte " << i << " mask " << mask);
      REQUIRE(validate(batch) == BatchError::corrupt_message);
    }
  }
}

TEST_CASE("a flipped stored CRC is corrupt_message") {
  const Bytes original = sample_batch();
  for (std::size_t i = 17; i < 21; ++i) {
    Bytes batch = original;
    batch[i] ^= std::byte{0x10};
    REQUIRE(validate(batch) == BatchError::corrupt_message);
  }
}

TEST_CASE("the leader epoch is outside the CRC and may hold anything") {
  Bytes batch = sample_batch();
  for (std::size_t i : {12u, 15u}) batch[i] ^= std::byte{0x5A};
  CHECK(validate(batch) == BatchError::none);
}

TEST_CASE("a produced batch with a base_offset other than 0 is accepted, as Kafka ignores it") {
  // Outside the CRC; the broker overwrites it with the offset it assigns.
  for (std::size_t i : {0u, 7u}) {
    Bytes batch = sample_batch();
    batch[i] ^= std::byte{0x01};
    INFO("byte " << i);
    CHECK(validate(batch) == BatchError::none);
  }
}

TEST_CASE("a batch truncated at every length is invalid_record, read within bounds") {
  const Bytes original = sample_batch();
  for (std::size_t length = 0; length < original.size(); ++length) {
    // A fresh allocation of exactly `length` bytes, so an overread trips AddressSanitizer.
    const Bytes truncated(original.begin(), original.begin() + static_cast<long>(length));
    INFO("length " << length);
    // Kafka finds no whole batch in the bytes: "must have at least one record batch".
    REQUIRE(validate(truncated) == BatchError::invalid_record);
    CHECK(for_each_batch(truncated, [](const RecordBatchHeader&, BytesView) {
            FAIL("a partial batch must not be visited");
          }) == BatchError::none);
  }
}

TEST_CASE("an empty records field is invalid_record") {
  CHECK(validate(BytesView{}) == BatchError::invalid_record);
}

TEST_CASE("magic other than 2 is invalid_record, as Kafka answers produce v3+") {
  for (int magic : {0, 1, 3, 0xFF}) {
    Bytes batch = sample_batch();
    batch[16] = static_cast<std::byte>(magic);
    INFO("magic " << magic);
    CHECK(validate(batch) == BatchError::invalid_record);
  }
  // A v0 message set is shorter than a v2 header; its magic still decides the answer.
  Bytes legacy(34);
  put_be(legacy, 8, 22, 4);
  legacy[16] = std::byte{0};
  CHECK(validate(legacy) == BatchError::invalid_record);
}

TEST_CASE("record_count that is not last_offset_delta + 1 is invalid_record") {
  Bytes batch = sample_batch();
  set_field_and_fix_crc(batch, kRecordCountAt, 4, 4);
  CHECK(validate(batch) == BatchError::invalid_record);

  batch = sample_batch();
  set_field_and_fix_crc(batch, kLastOffsetDeltaAt, 1, 4);
  CHECK(validate(batch) == BatchError::invalid_record);

  batch = sample_batch();
  set_field_and_fix_crc(batch, kRecordCountAt, 0xFFFFFFFF, 4);  // -1
  CHECK(validate(batch) == BatchError::invalid_record);
}

TEST_CASE("a batch with no records is invalid_record") {
  const Bytes batch = RecordBatchBuilder().build();
  CHECK(batch.size() == 61);
  CHECK(validate(batch) == BatchError::invalid_record);
}

TEST_CASE("a control batch from a client is invalid_record") {
  RecordBatchBuilder builder;
  builder.attributes(0x20 | 0x10).add({bytes_of("k"), bytes_of("v"), {}, 1});
  CHECK(validate(builder.build()) == BatchError::invalid_record);
}

TEST_CASE("a transactional batch is accepted") {
  RecordBatchBuilder builder;
  builder.attributes(0x10).producer(9, 0, 0).add({bytes_of("k"), bytes_of("v"), {}, 1});
  ValidatedBatch out;
  REQUIRE(validate_produce_records(builder.build(), &out) == BatchError::none);
  CHECK(out.header.is_transactional());
}

TEST_CASE("codecs 5 to 7 are unsupported_compression_type") {
  for (int codec = 5; codec <= 7; ++codec) {
    Bytes batch = sample_batch();
    set_field_and_fix_crc(batch, kAttributesAt, static_cast<std::uint64_t>(codec), 2);
    INFO("codec " << codec);
    CHECK(validate(batch) == BatchError::unsupported_compression_type);
  }
}

TEST_CASE("codecs 1 to 4 pass without their records being opened") {
  for (int codec = 1; codec <= 4; ++codec) {
    Bytes batch = sample_batch();
    // Overwrite the records with bytes that are not valid uncompressed records.
    for (std::size_t i = 61; i < batch.size(); ++i) batch[i] = std::byte{0xFF};
    set_field_and_fix_crc(batch, kAttributesAt, static_cast<std::uint64_t>(codec), 2);
    ValidatedBatch out;
    INFO("codec " << codec);
    REQUIRE(validate_produce_records(batch, &out) == BatchError::none);
    CHECK(out.header.compression() == codec);
    CHECK(for_each_record(out, [](const Record&) {}) == BatchError::unsupported_compression_type);
  }
}

TEST_CASE("two batches in one partition's records are invalid_record") {
  const Bytes one = sample_batch();
  Bytes two = one;
  two.insert(two.end(), one.begin(), one.end());
  CHECK(validate(two) == BatchError::invalid_record);

  Bytes trailing = one;
  trailing.push_back(std::byte{0});
  CHECK(validate(trailing) == BatchError::invalid_record);
}

TEST_CASE("a batch_length too small for the header is corrupt_message") {
  Bytes batch = sample_batch();
  for (std::uint64_t length : {0ull, 13ull, 14ull, 48ull, 0xFFFFFFFFull, 0x80000000ull}) {
    put_be(batch, 8, length, 4);
    INFO("batch_length " << length);
    CHECK(validate(batch) == BatchError::corrupt_message);
  }
}

TEST_CASE("records that do not exactly fill the batch are invalid_record") {
  // Drop the last byte of the last record, keeping batch_length and CRC consistent.
  Bytes shorter = sample_batch();
  shorter.pop_back();
  put_be(shorter, 8, shorter.size() - 12, 4);
  recompute_crc(shorter);
  CHECK(validate(shorter) == BatchError::invalid_record);

  // A byte after the last record, inside the batch.
  Bytes longer = sample_batch();
  longer.push_back(std::byte{0});
  put_be(longer, 8, longer.size() - 12, 4);
  recompute_crc(longer);
  CHECK(validate(longer) == BatchError::invalid_record);

  // One record fewer than record_count claims.
  RecordBatchBuilder two;
  two.add({bytes_of("a"), bytes_of("b"), {}, 1}).add({bytes_of("c"), bytes_of("d"), {}, 2});
  Bytes missing = two.build();
  set_field_and_fix_crc(missing, kRecordCountAt, 3, 4);
  set_field_and_fix_crc(missing, kLastOffsetDeltaAt, 2, 4);
  CHECK(validate(missing) == BatchError::invalid_record);
}

TEST_CASE("offset deltas out of order are invalid_record") {
  RecordBatchBuilder builder;
  builder.add({std::nullopt, std::nullopt, {}, 0}).add({std::nullopt, std::nullopt, {}, 0});
  Bytes batch = builder.build();
  // Each record is: length 0x0A, attributes, timestamp delta 0, offset delta, -1, -1, 0.
  REQUIRE(batch.size() == 61 + 2 * 7);
  REQUIRE(batch[61 + 3] == std::byte{0x00});
  REQUIRE(batch[68 + 3] == std::byte{0x02});
  batch[68 + 3] = std::byte{0x00};  // second record claims offset delta 0
  recompute_crc(batch);
  CHECK(validate(batch) == BatchError::invalid_record);
}

TEST_CASE("any byte of the records re-signed with a valid CRC never crashes the validator") {
  const Bytes original = sample_batch();
  for (std::size_t i = 61; i < original.size(); ++i) {
    for (int value : {0x00, 0x01, 0x7F, 0x80, 0xFF}) {
      Bytes batch = original;
      batch[i] = static_cast<std::byte>(value);
      recompute_crc(batch);
      ValidatedBatch out;
      const BatchError e = validate_produce_records(batch, &out);
      INFO("byte " << i << " value " << value);
      REQUIRE((e == BatchError::none || e == BatchError::invalid_record));
      if (e == BatchError::none) {
        CHECK(for_each_record(out, [](const Record&) {}) == BatchError::none);
      }
    }
  }
}

TEST_CASE("patch_base_offset keeps the CRC valid") {
  Bytes batch = sample_batch();
  const std::uint32_t crc_before = parse_header(batch)->crc;
  patch_base_offset(batch, 0x0102030405060708);
  patch_partition_leader_epoch(batch, 42);
  const auto header = parse_header(batch);
  REQUIRE(header.has_value());
  CHECK(header->base_offset == 0x0102030405060708);
  CHECK(header->partition_leader_epoch == 42);
  CHECK(header->crc == crc_before);
  CHECK(header->crc == crc32c(BytesView(batch).subspan(21)));
  CHECK(header->last_offset() == 0x0102030405060708 + 2);
  // Everything but base_offset still passes the produce checks.
  patch_base_offset(batch, 0);
  CHECK(validate(batch) == BatchError::none);
}

TEST_CASE("set_log_append_time sets the flag and max_timestamp and recomputes the CRC") {
  Bytes batch = sample_batch();
  const std::uint32_t crc_before = parse_header(batch)->crc;
  set_log_append_time(batch, 1'700'000'000'000);
  ValidatedBatch out;
  REQUIRE(validate_produce_records(batch, &out) == BatchError::none);
  CHECK(out.header.timestamp_type_is_log_append_time());
  CHECK(out.header.max_timestamp == 1'700'000'000'000);
  CHECK(out.header.base_timestamp == 1000);
  CHECK(out.header.compression() == 0);
  CHECK(out.header.crc != crc_before);
}

TEST_CASE("in-place patches refuse a buffer shorter than the header") {
  Bytes short_buffer(60);
  CHECK_THROWS_AS(patch_base_offset(short_buffer, 1), std::invalid_argument);
  CHECK_THROWS_AS(set_log_append_time(short_buffer, 1), std::invalid_argument);
  CHECK_THROWS_AS(recompute_crc(short_buffer), std::invalid_argument);
}

TEST_CASE("parse_header needs the full 61-byte header") {
  const Bytes batch = sample_batch();
  CHECK_FALSE(parse_header(BytesView(batch).first(60)).has_value());
  CHECK(parse_header(BytesView(batch).first(61)).has_value());
}

TEST_CASE("for_each_batch visits whole batches and skips a truncated tail") {
  Bytes log;
  std::vector<std::size_t> sizes;
  for (std::int64_t base : {0, 3, 6}) {
    RecordBatchBuilder builder;
    builder.base_offset(base);
    for (int i = 0; i < 3; ++i)
      builder.add({bytes_of("k"), bytes_of(std::string(base, 'v')), {}, 5});
    const Bytes b = builder.build();
    sizes.push_back(b.size());
    log.insert(log.end(), b.begin(), b.end());
  }
  const std::size_t whole = log.size();
  const Bytes tail = sample_batch();

  for (std::size_t cut = 0; cut < tail.size(); ++cut) {
    Bytes bytes = log;
    bytes.insert(bytes.end(), tail.begin(), tail.begin() + static_cast<long>(cut));
    std::vector<std::int64_t> bases;
    std::size_t visited_bytes = 0;
    const BatchError e = for_each_batch(bytes, [&](const RecordBatchHeader& h, BytesView b) {
      bases.push_back(h.base_offset);
      CHECK(b.data() == bytes.data() + visited_bytes);
      visited_bytes += b.size();
    });
    INFO("tail cut at " << cut);
    REQUIRE(e == BatchError::none);
    REQUIRE(bases == std::vector<std::int64_t>{0, 3, 6});
    CHECK(visited_bytes == whole);
  }
}

TEST_CASE("for_each_batch stops on a batch_length smaller than a header or a wrong magic") {
  Bytes bad_length = sample_batch();
  put_be(bad_length, 8, 10, 4);
  CHECK(for_each_batch(bad_length, [](const RecordBatchHeader&, BytesView) {}) ==
        BatchError::corrupt_message);

  Bytes bad_magic = sample_batch();
  bad_magic[16] = std::byte{1};
  CHECK(for_each_batch(bad_magic, [](const RecordBatchHeader&, BytesView) {}) ==
        BatchError::unsupported_for_message_format);
}

TEST_CASE("a batch built by hand from the documented layout parses field by field") {
  Bytes batch;
  append_be(batch, 0, 8);                   // base_offset
  append_be(batch, 82, 4);                  // batch_length: 94 - 12
  append_be(batch, 0xFFFFFFFF, 4);          // partition_leader_epoch -1
  append_raw(batch, {2});                   // magic
  append_be(batch, 0, 4);                   // crc, filled in below
  append_be(batch, 0, 2);                   // attributes
  append_be(batch, 1, 4);                   // last_offset_delta
  append_be(batch, 1000, 8);                // base_timestamp
  append_be(batch, 1005, 8);                // max_timestamp
  append_be(batch, 0xFFFFFFFFFFFFFFFF, 8);  // producer_id -1
  append_be(batch, 0xFFFF, 2);              // producer_epoch -1
  append_be(batch, 0xFFFFFFFF, 4);          // base_sequence -1
  append_be(batch, 2, 4);                   // record_count
  REQUIRE(batch.size() == 61);
  // Record 0: length 14; attributes 0, timestamp delta 0, offset delta 0, key "k0",
  // value "v0", 1 header "h" = "x". Varints are zig-zag: n >= 0 is written as 2n.
  append_raw(batch,
             {0x1C, 0x00, 0x00, 0x00, 0x04, 'k', '0', 0x04, 'v', '0', 0x02, 0x02, 'h', 0x02, 'x'});
  // Record 1: length 17; timestamp delta 5, offset delta 1, key "k1", value null (-1 is
  // written 0x01), 2 headers: "a" = null, "bb" = "yz".
  append_raw(batch, {0x22, 0x00, 0x0A, 0x02, 0x04, 'k', '1', 0x01, 0x04, 0x02, 'a', 0x01, 0x04, 'b',
                     'b', 0x04, 'y', 'z'});
  REQUIRE(batch.size() == 94);
  put_be(batch, 17, crc32c(BytesView(batch).subspan(21)), 4);

  const auto header = parse_header(batch);
  REQUIRE(header.has_value());
  CHECK(header->base_offset == 0);
  CHECK(header->batch_length == 82);
  CHECK(header->partition_leader_epoch == -1);
  CHECK(header->magic == 2);
  CHECK(header->attributes == 0);
  CHECK(header->last_offset_delta == 1);
  CHECK(header->base_timestamp == 1000);
  CHECK(header->max_timestamp == 1005);
  CHECK(header->producer_id == -1);
  CHECK(header->producer_epoch == -1);
  CHECK(header->base_sequence == -1);
  CHECK(header->record_count == 2);

  ValidatedBatch validated;
  REQUIRE(validate_produce_records(batch, &validated) == BatchError::none);
  CHECK(validated.header.crc == header->crc);

  int index = 0;
  REQUIRE(for_each_record(validated, [&](const Record& r) {
            if (index == 0) {
              CHECK(r.offset_delta == 0);
              CHECK(r.timestamp_delta == 0);
              CHECK(string_of(*r.key) == "k0");
              CHECK(string_of(*r.value) == "v0");
              REQUIRE(r.headers.size() == 1);
              CHECK(r.headers[0].first == "h");
              CHECK(string_of(*r.headers[0].second) == "x");
            } else {
              CHECK(r.offset_delta == 1);
              CHECK(r.timestamp_delta == 5);
              CHECK(string_of(*r.key) == "k1");
              CHECK_FALSE(r.value.has_value());
              REQUIRE(r.headers.size() == 2);
              CHECK(r.headers[0].first == "a");
              CHECK_FALSE(r.headers[0].second.has_value());
              CHECK(r.headers[1].first == "bb");
              CHECK(string_of(*r.headers[1].second) == "yz");
            }
            ++index;
          }) == BatchError::none);
  CHECK(index == 2);

  // The builder writes exactly the documented layout.
  RecordBatchBuilder builder;
  builder.add({bytes_of("k0"), bytes_of("v0"), {{"h", bytes_of("x")}}, 1000})
      .add({bytes_of("k1"), std::nullopt, {{"a", std::nullopt}, {"bb", bytes_of("yz")}}, 1005});
  CHECK(builder.build() == batch);
}

TEST_CASE("a producer id without a base sequence is invalid_record") {
  RecordBatchBuilder builder;
  builder.producer(77, 0, -1).add({bytes_of("k"), bytes_of("v"), {}, 1});
  CHECK(validate(builder.build()) == BatchError::invalid_record);

  RecordBatchBuilder non_idempotent;
  non_idempotent.producer(-1, -1, -1).add({bytes_of("k"), bytes_of("v"), {}, 1});
  CHECK(validate(non_idempotent.build()) == BatchError::none);
}

TEST_CASE("a negative last_offset_delta is invalid_record even when the count agrees") {
  Bytes batch = sample_batch();
  set_field_and_fix_crc(batch, kLastOffsetDeltaAt, 0xFFFFFFFF, 4);  // -1
  set_field_and_fix_crc(batch, kRecordCountAt, 0, 4);
  CHECK(validate(batch) == BatchError::invalid_record);
}

TEST_CASE("checks run in Kafka's order when a batch has several faults") {
  // Wrong CRC and a count mismatch: the CRC is checked first.
  Bytes batch = sample_batch();
  put_be(batch, kRecordCountAt, 9, 4);
  CHECK(validate(batch) == BatchError::corrupt_message);

  // Wrong CRC and a base_offset other than 0: the base_offset is ignored.
  batch = sample_batch();
  batch[30] ^= std::byte{0x01};
  batch[7] = std::byte{0x01};
  CHECK(validate(batch) == BatchError::corrupt_message);

  // A codec above 4 is reported before a count mismatch.
  batch = sample_batch();
  put_be(batch, kRecordCountAt, 9, 4);
  set_field_and_fix_crc(batch, kAttributesAt, 6, 2);
  CHECK(validate(batch) == BatchError::unsupported_compression_type);
}

TEST_CASE("a negative key or value length other than -1 reads as null, as in Kafka") {
  RecordBatchBuilder builder;
  builder.add({bytes_of(""), bytes_of(""), {}, 0});
  Bytes batch = builder.build();
  // Record: length, attributes, timestamp delta, offset delta, key length 0, value length 0,
  // header count. Zig-zag -2 is 0x03.
  REQUIRE(batch.size() == 61 + 7);
  REQUIRE(batch[61 + 4] == std::byte{0x00});
  REQUIRE(batch[61 + 5] == std::byte{0x00});
  batch[61 + 4] = std::byte{0x03};
  batch[61 + 5] = std::byte{0x03};
  recompute_crc(batch);

  ValidatedBatch out;
  REQUIRE(validate_produce_records(batch, &out) == BatchError::none);
  int seen = 0;
  REQUIRE(for_each_record(out, [&](const Record& r) {
            CHECK_FALSE(r.key.has_value());
            CHECK_FALSE(r.value.has_value());
            ++seen;
          }) == BatchError::none);
  CHECK(seen == 1);
}

TEST_CASE("a header with a negative key length is invalid_record") {
  RecordBatchBuilder builder;
  builder.add({std::nullopt, std::nullopt, {{"", std::nullopt}}, 0});
  Bytes batch = builder.build();
  // Record: length, attributes, timestamp delta, offset delta, key -1, value -1, header
  // count 1, header key length 0, header value -1.
  REQUIRE(batch.size() == 61 + 9);
  REQUIRE(batch[61 + 7] == std::byte{0x00});
  batch[61 + 7] = std::byte{0x01};  // header key length -1
  recompute_crc(batch);
  CHECK(validate(batch) == BatchError::invalid_record);
}

TEST_CASE("batch errors map to Kafka error codes") {
  CHECK(error_code_for(BatchError::none) == ErrorCode::none);
  CHECK(static_cast<int>(error_code_for(BatchError::corrupt_message)) == 2);
  CHECK(static_cast<int>(error_code_for(BatchError::invalid_record)) == 87);
  CHECK(static_cast<int>(error_code_for(BatchError::unsupported_compression_type)) == 76);
  CHECK(static_cast<int>(error_code_for(BatchError::unsupported_for_message_format)) == 43);
}
