// Round trips of request frames captured from real clients (librdkafka 2.0.2 through kcat
// and confluent-kafka, kafka-python 2.0.2, kafkajs 2.2.4) with
// tests/fixtures/capture_proxy.py: each must decode at its version and re-encode to the
// very same bytes.
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "protocol/framing/request.h"
#include "protocol/generated/messages.h"

using namespace weir::protocol;

namespace {

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

template <typename Request>
Bytes round_trip_body(BytesView body, std::int16_t version) {
  Request request;
  Reader reader(body);
  REQUIRE(request.decode(reader, version));
  REQUIRE(reader.ok());
  CHECK(reader.remaining() == 0);
  Writer writer;
  request.encode(writer, version);
  return writer.take();
}

Bytes round_trip_body_for(std::int16_t api_key, BytesView body, std::int16_t version) {
  switch (api_key) {
    case 0:
      return round_trip_body<ProduceRequest>(body, version);
    case 1:
      return round_trip_body<FetchRequest>(body, version);
    case 2:
      return round_trip_body<ListOffsetsRequest>(body, version);
    case 3:
      return round_trip_body<MetadataRequest>(body, version);
    case 18:
      return round_trip_body<ApiVersionsRequest>(body, version);
    case 19:
      return round_trip_body<CreateTopicsRequest>(body, version);
    case 32:
      return round_trip_body<DescribeConfigsRequest>(body, version);
    case 33:
      return round_trip_body<AlterConfigsRequest>(body, version);
    case 37:
      return round_trip_body<CreatePartitionsRequest>(body, version);
    default:
      FAIL("no round trip registered for api key " << api_key);
      return {};
  }
}

}  // namespace

TEST_CASE("captured client requests decode and re-encode byte for byte") {
  const std::filesystem::path root = WEIR_FIXTURES_DIR "/requests";
  int checked = 0;
  for (const auto& client : std::filesystem::directory_iterator(root)) {
    for (const auto& file : std::filesystem::directory_iterator(client.path())) {
      DYNAMIC_SECTION(client.path().filename().string() << "/" << file.path().filename().string()) {
        Bytes frame = read_file(file.path());
        ParsedRequest parsed;
        REQUIRE(parse_request(frame, &parsed) == RequestParseError::none);
        const auto header_size = static_cast<std::size_t>(frame.size() - parsed.body.size());
        Bytes body = round_trip_body_for(parsed.header.request_api_key, parsed.body,
                                         parsed.header.request_api_version);
        Bytes expected(frame.begin() + static_cast<std::ptrdiff_t>(header_size), frame.end());
        CHECK(body == expected);
      }
      ++checked;
    }
  }
  CHECK(checked >= 14);
}
