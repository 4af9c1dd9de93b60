#include <algorithm>
#include <catch2/catch.hpp>
#include <string_view>

#include "protocol/generated/messages.h"

using namespace weir::protocol;

TEST_CASE("api keys carry Kafka's numbers") {
  CHECK(static_cast<std::int16_t>(ApiKey::produce) == 0);
  CHECK(static_cast<std::int16_t>(ApiKey::fetch) == 1);
  CHECK(static_cast<std::int16_t>(ApiKey::list_offsets) == 2);
  CHECK(static_cast<std::int16_t>(ApiKey::metadata) == 3);
  CHECK(static_cast<std::int16_t>(ApiKey::api_versions) == 18);
  CHECK(static_cast<std::int16_t>(ApiKey::create_topics) == 19);
  CHECK(static_cast<std::int16_t>(ApiKey::describe_topic_partitions) == 75);
}

TEST_CASE("api names are Kafka's names and unknown keys have none") {
  CHECK(api_name(0) == "Produce");
  CHECK(api_name(18) == "ApiVersions");
  CHECK(api_name(9999).empty());
  CHECK(api_name(4).empty());  // LeaderAndIsr is ZooKeeper-only
}

TEST_CASE("the api table lists broker-listener apis only, sorted, with their ranges") {
  const auto apis = broker_apis();
  CHECK(std::is_sorted(apis.begin(), apis.end(),
                       [](const ApiInfo& a, const ApiInfo& b) { return a.api_key < b.api_key; }));
  CHECK(find_api(4) == nullptr);   // LeaderAndIsr
  CHECK(find_api(52) == nullptr);  // Vote: controller only
  const ApiInfo* fetch = find_api(1);
  REQUIRE(fetch != nullptr);
  CHECK(fetch->lowest_version == FetchRequest::lowest_supported_version);
  CHECK(fetch->highest_version == FetchRequest::highest_supported_version);
  CHECK(fetch->first_flexible_version == 12);
  CHECK_FALSE(fetch->latest_version_unstable);
  const ApiInfo* sasl_handshake = find_api(17);
  REQUIRE(sasl_handshake != nullptr);
  CHECK(sasl_handshake->first_flexible_version == -1);
  const ApiInfo* end_txn = find_api(26);
  REQUIRE(end_txn != nullptr);
  CHECK(end_txn->latest_version_unstable);
}

TEST_CASE("request header version is 2 for flexible versions and 1 otherwise") {
  CHECK(request_header_version(0, 8) == 1);
  CHECK(request_header_version(0, 9) == 2);
  CHECK(request_header_version(18, 2) == 1);
  CHECK(request_header_version(18, 3) == 2);
  CHECK(request_header_version(17, 1) == 1);  // SaslHandshake is never flexible
}

TEST_CASE("response header version is 1 for flexible versions except ApiVersions") {
  CHECK(response_header_version(3, 8) == 0);
  CHECK(response_header_version(3, 9) == 1);
  CHECK(response_header_version(1, 12) == 1);
  CHECK(response_header_version(18, 0) == 0);
  CHECK(response_header_version(18, 3) == 0);
  CHECK(response_header_version(18, 4) == 0);
}

TEST_CASE("header versions are -1 for unknown keys and out-of-range versions") {
  CHECK(request_header_version(9999, 0) == -1);
  CHECK(response_header_version(9999, 0) == -1);
  CHECK(request_header_version(-1, 0) == -1);
  CHECK(request_header_version(0, 12) == -1);
  CHECK(request_header_version(0, -1) == -1);
  CHECK(response_header_version(18, 5) == -1);
  CHECK(request_header_version(4, 0) == -1);  // not a broker-listener api
}
