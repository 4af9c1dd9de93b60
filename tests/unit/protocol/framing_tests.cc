#include <catch2/catch.hpp>

#include "protocol/framing/frame.h"
#include "protocol/framing/request.h"
#include "protocol/wire/writer.h"

using namespace weir::protocol;

TEST_CASE("frame sizes outside [header, maximum] are refused") {
  CHECK(check_frame_size(-1, 1024) == FrameSizeStatus::negative);
  CHECK(check_frame_size(INT32_MIN, 1024) == FrameSizeStatus::negative);
  CHECK(check_frame_size(7, 1024) == FrameSizeStatus::too_small);
  CHECK(check_frame_size(8, 1024) == FrameSizeStatus::ok);
  CHECK(check_frame_size(1024, 1024) == FrameSizeStatus::ok);
  CHECK(check_frame_size(1025, 1024) == FrameSizeStatus::too_large);
}

TEST_CASE("the size prefix is read big-endian") {
  std::array<std::byte, 4> prefix{std::byte{0x00}, std::byte{0x01}, std::byte{0x02},
                                  std::byte{0x03}};
  CHECK(read_frame_size(prefix) == 0x00010203);
  prefix = {std::byte{0xff}, std::byte{0xff}, std::byte{0xff}, std::byte{0xff}};
  CHECK(read_frame_size(prefix) == -1);
}

namespace {
Bytes request_frame(std::int16_t api_key, std::int16_t version, std::int32_t correlation_id,
                    bool flexible) {
  Writer writer;
  writer.write_int16(api_key);
  writer.write_int16(version);
  writer.write_int32(correlation_id);
  writer.write_nullable_string(std::string("client-1"));
  if (flexible) writer.write_unsigned_varint(0);  // empty tagged-field section
  writer.write_int32(0x11223344);                 // a body byte pattern
  return writer.take();
}
}  // namespace

TEST_CASE("a v1 request header is split from its body") {
  Bytes frame = request_frame(3, 1, 42, false);
  ParsedRequest parsed;
  REQUIRE(parse_request(frame, &parsed) == RequestParseError::none);
  CHECK(parsed.header.request_api_key == 3);
  CHECK(parsed.header.correlation_id == 42);
  CHECK(parsed.header.client_id == std::optional<std::string>("client-1"));
  CHECK(parsed.body.size() == 4);
}

TEST_CASE("a flexible request uses header v2 with a tagged-field section") {
  Bytes frame = request_frame(18, 3, 7, true);
  ParsedRequest parsed;
  REQUIRE(parse_request(frame, &parsed) == RequestParseError::none);
  CHECK(parsed.header.correlation_id == 7);
  CHECK(parsed.body.size() == 4);
}

TEST_CASE("an ApiVersions request newer than any known version still parses its header") {
  Bytes frame = request_frame(18, 99, 5, true);
  ParsedRequest parsed;
  REQUIRE(parse_request(frame, &parsed) == RequestParseError::none);
  CHECK(parsed.header.request_api_version == 99);
  CHECK(parsed.header.correlation_id == 5);
}

TEST_CASE("an unknown api key is reported with its correlation id") {
  Bytes frame = request_frame(9999, 0, 11, false);
  ParsedRequest parsed;
  CHECK(parse_request(frame, &parsed) == RequestParseError::unknown_api_key_or_version);
  CHECK(parsed.header.correlation_id == 11);
}

TEST_CASE("a header cut short is malformed") {
  Bytes frame = request_frame(3, 1, 42, false);
  for (std::size_t length = 8; length < 12; ++length) {
    ParsedRequest parsed;
    CHECK(parse_request(BytesView(frame.data(), length), &parsed) ==
          RequestParseError::malformed_header);
  }
}
