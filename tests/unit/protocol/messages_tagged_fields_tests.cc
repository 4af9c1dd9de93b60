#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include "protocol/generated/messages.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

using namespace weir::protocol;

namespace {

[[maybe_unused]] Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

template <typename Message>
Bytes encode_at(const Message& message, std::int16_t version) {
  Writer writer;
  message.encode(writer, version);
  return writer.take();
}

// Encodes, decodes and re-encodes at `version`; the two encodings must match and the
// decoder must consume exactly what the encoder wrote. Returns the decoded message.
template <typename Message>
Message check_round_trip(const Message& message, std::int16_t version) {
  INFO("version " << version);
  const Bytes first = encode_at(message, version);
  Message decoded;
  Reader reader(first);
  CHECK(decoded.decode(reader, version));
  CHECK(reader.ok());
  CHECK(reader.remaining() == 0);
  CHECK(encode_at(decoded, version) == first);
  return decoded;
}

template <typename Message>
void check_round_trip_every_version(const Message& message) {
  for (std::int16_t version = Message::lowest_supported_version;
       version <= Message::highest_supported_version; ++version) {
    check_round_trip(message, version);
  }
}

// Every strict prefix of a valid encoding must fail to decode, without crashing.
template <typename Message>
void check_every_prefix_fails(const Message& message, std::int16_t version) {
  INFO("version " << version);
  const Bytes full = encode_at(message, version);
  for (std::size_t length = 0; length < full.size(); ++length) {
    INFO("prefix length " << length << " of " << full.size());
    Message decoded;
    Reader reader(BytesView(full.data(), length));
    CHECK_FALSE(decoded.decode(reader, version));
    CHECK_FALSE(reader.ok());
  }
}

}  // namespace

TEST_CASE("tagged fields at their default are left out of the tagged section") {
  ApiVersionsResponse response;
  response.api_keys = {{18, 0, 4, {}}};
  // error, compact array of one (key, min, max, no tags), throttle, no tags.
  CHECK(encode_at(response, 3) ==
        bytes_of({0, 0, 0x02, 0, 18, 0, 0, 0, 4, 0x00, 0, 0, 0, 0, 0x00}));
}

TEST_CASE("known tagged fields are written in tag order and read back") {
  ApiVersionsResponse response;
  response.zk_migration_ready = true;
  response.finalized_features_epoch = 5;
  const Bytes encoded = encode_at(response, 3);
  CHECK(encoded == bytes_of({0,    0,    0x01, 0, 0, 0, 0,
                             0x02,                                   // two tagged fields
                             0x01, 0x08, 0,    0, 0, 0, 0, 0, 0, 5,  // tag 1: epoch
                             0x03, 0x01, 0x01}));                    // tag 3: true
  const ApiVersionsResponse decoded = check_round_trip(response, 3);
  CHECK(decoded.zk_migration_ready);
  CHECK(decoded.finalized_features_epoch == 5);
  CHECK(decoded.unknown_tagged_fields.empty());
}

TEST_CASE("unknown tagged fields are preserved, nested and top level, and re-emitted in order") {
  Writer writer;
  writer.write_int16(0);
  writer.write_array_length(1, true);
  writer.write_int16(18);
  writer.write_int16(0);
  writer.write_int16(4);
  writer.write_unsigned_varint(1);  // the entry's tagged section: one unknown tag
  writer.write_tagged_field(9, bytes_of({0xaa, 0xbb}));
  writer.write_int32(0);            // throttle
  writer.write_unsigned_varint(3);  // top-level tagged section
  writer.write_tagged_field(1, bytes_of({0, 0, 0, 0, 0, 0, 0, 7}));
  writer.write_tagged_field(4, bytes_of({0x44}));
  writer.write_tagged_field(200, Bytes());
  const Bytes input = writer.take();

  ApiVersionsResponse decoded;
  Reader reader(input);
  REQUIRE(decoded.decode(reader, 3));
  CHECK(reader.remaining() == 0);
  CHECK(decoded.finalized_features_epoch == 7);
  REQUIRE(decoded.unknown_tagged_fields.size() == 2);
  CHECK(decoded.unknown_tagged_fields[0].tag == 4);
  CHECK(decoded.unknown_tagged_fields[0].data == bytes_of({0x44}));
  CHECK(decoded.unknown_tagged_fields[1].tag == 200);
  REQUIRE(decoded.api_keys.size() == 1);
  REQUIRE(decoded.api_keys[0].unknown_tagged_fields.size() == 1);
  CHECK(decoded.api_keys[0].unknown_tagged_fields[0].tag == 9);
  CHECK(encode_at(decoded, 3) == input);

  // Unknown fields added out of order still come out sorted among the known ones.
  decoded.unknown_tagged_fields = {{200, Bytes()}, {4, bytes_of({0x44})}};
  CHECK(encode_at(decoded, 3) == input);
}

TEST_CASE("a tagged field whose payload is malformed fails the decode") {
  Writer writer;
  writer.write_int16(0);
  writer.write_array_length(0, true);
  writer.write_int32(0);
  writer.write_unsigned_varint(1);
  writer.write_tagged_field(1, bytes_of({0, 0, 0}));  // an int64 needs 8 bytes
  const Bytes input = writer.take();
  ApiVersionsResponse decoded;
  Reader reader(input);
  CHECK_FALSE(decoded.decode(reader, 3));
}

TEST_CASE("a tagged field whose length runs past the buffer fails the decode") {
  Writer writer;
  writer.write_int16(0);
  writer.write_array_length(0, true);
  writer.write_int32(0);
  writer.write_unsigned_varint(1);
  writer.write_unsigned_varint(1);
  writer.write_unsigned_varint(100);
  writer.write_int8(1);
  const Bytes input = writer.take();
  ApiVersionsResponse decoded;
  Reader reader(input);
  CHECK_FALSE(decoded.decode(reader, 3));
}

TEST_CASE("tagged fields are not written in non-flexible versions") {
  ApiVersionsResponse response;
  response.zk_migration_ready = true;
  response.unknown_tagged_fields = {{7, bytes_of({1})}};
  CHECK(encode_at(response, 2) == bytes_of({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST_CASE("a tagged struct is written only when it differs from its default") {
  FetchResponse::PartitionData partition;
  partition.partition_index = 0;
  FetchResponse response;
  response.responses = {{"t", Uuid{}, {partition}, {}}};
  const FetchResponse plain = check_round_trip(response, 12);
  CHECK(plain.responses[0].partitions[0].current_leader.leader_id == -1);

  const Bytes without = encode_at(response, 12);
  response.responses[0].partitions[0].current_leader.leader_id = 2;
  response.responses[0].partitions[0].current_leader.leader_epoch = 8;
  const Bytes with = encode_at(response, 12);
  // Tag 1, size 9: leader id, leader epoch, and the struct's empty tagged section.
  CHECK(with.size() == without.size() + 2 + 9);
  const FetchResponse decoded = check_round_trip(response, 12);
  CHECK(decoded.responses[0].partitions[0].current_leader.leader_id == 2);
  CHECK(decoded.responses[0].partitions[0].current_leader.leader_epoch == 8);
}

TEST_CASE("a tagged nullable string defaults to null and is written only when set") {
  FetchRequest request;
  const Bytes without = encode_at(request, 12);
  request.cluster_id = "c";
  const Bytes with = encode_at(request, 12);
  CHECK(with.size() == without.size() + 4);  // tag, size, compact "c"
  CHECK(check_round_trip(request, 12).cluster_id == std::optional<std::string>("c"));
}

TEST_CASE("the request header's tagged section preserves unknown tags") {
  RequestHeader header;
  header.request_api_key = 18;
  header.request_api_version = 3;
  header.correlation_id = 9;
  header.client_id = "c";
  header.unknown_tagged_fields = {{3, bytes_of({1, 2})}};
  const RequestHeader decoded = check_round_trip(header, 2);
  REQUIRE(decoded.unknown_tagged_fields.size() == 1);
  CHECK(decoded.unknown_tagged_fields[0].data == bytes_of({1, 2}));
}
