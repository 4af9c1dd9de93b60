#include <catch2/catch.hpp>

#include "storage/keys.h"
#include "storage/metadata.h"

namespace metadata = weir::storage::metadata;
namespace keys = weir::storage::keys;

TEST_CASE("topic records round-trip through the meta encoding", "[storage][metadata]") {
  weir::storage::TopicDescription topic;
  topic.name = "orders";
  topic.internal_id = 42;
  topic.topic_id = metadata::random_uuid();
  topic.partition_count = 12;
  topic.configs = {{"cleanup.policy", "delete"}, {"retention.ms", "604800000"}, {"empty", ""}};

  auto decoded = metadata::decode_topic("orders", metadata::encode_topic(topic));
  REQUIRE(decoded);
  CHECK(decoded->name == "orders");
  CHECK(decoded->internal_id == 42);
  CHECK(decoded->topic_id == topic.topic_id);
  CHECK(decoded->partition_count == 12);
  CHECK(decoded->configs == topic.configs);
}

TEST_CASE("truncated, padded or unknown-version topic records are refused", "[storage][metadata]") {
  weir::storage::TopicDescription topic;
  topic.name = "t";
  topic.internal_id = 1;
  topic.partition_count = 1;
  topic.configs = {{"k", "v"}};
  const std::string encoded = metadata::encode_topic(topic);
  for (std::size_t size = 0; size < encoded.size(); ++size)
    CHECK_FALSE(metadata::decode_topic("t", std::string_view(encoded).substr(0, size)));
  CHECK_FALSE(metadata::decode_topic("t", encoded + "x"));
  std::string future_version = encoded;
  future_version[0] = 2;
  CHECK_FALSE(metadata::decode_topic("t", future_version));
}

TEST_CASE("topic names follow Kafka's rule", "[storage][metadata]") {
  CHECK(metadata::is_valid_topic_name("a"));
  CHECK(metadata::is_valid_topic_name("Orders.v2_eu-west"));
  CHECK(metadata::is_valid_topic_name(std::string(249, 'x')));
  CHECK(metadata::is_valid_topic_name("..."));
  CHECK_FALSE(metadata::is_valid_topic_name(""));
  CHECK_FALSE(metadata::is_valid_topic_name("."));
  CHECK_FALSE(metadata::is_valid_topic_name(".."));
  CHECK_FALSE(metadata::is_valid_topic_name(std::string(250, 'x')));
  CHECK_FALSE(metadata::is_valid_topic_name("with space"));
  CHECK_FALSE(metadata::is_valid_topic_name("slash/name"));
  CHECK_FALSE(metadata::is_valid_topic_name("caf\xc3\xa9"));
  CHECK_FALSE(metadata::is_valid_topic_name(std::string("nul\0byte", 8)));
}

TEST_CASE("random uuids are version 4 with the RFC 4122 variant and differ",
          "[storage][metadata]") {
  const auto a = metadata::random_uuid();
  const auto b = metadata::random_uuid();
  CHECK(a != b);
  CHECK((a[6] & 0xf0) == 0x40);
  CHECK((a[8] & 0xc0) == 0x80);
}

TEST_CASE("uuids render in Kafka's unpadded URL-safe base64", "[storage][metadata]") {
  weir::storage::Uuid zeros{};
  CHECK(metadata::to_kafka_base64(zeros) == "AAAAAAAAAAAAAAAAAAAAAA");
  weir::storage::Uuid ones;
  ones.fill(0xff);
  CHECK(metadata::to_kafka_base64(ones) == "_____________________w");
  // Same bytes as base64url "MKXx1fIkQy2J9jXHhK8m1w==" with the padding dropped.
  weir::storage::Uuid example{0x30, 0xa5, 0xf1, 0xd5, 0xf2, 0x24, 0x43, 0x2d,
                              0x89, 0xf6, 0x35, 0xc7, 0x84, 0xaf, 0x26, 0xd7};
  CHECK(metadata::to_kafka_base64(example) == "MKXx1fIkQy2J9jXHhK8m1w");
}

TEST_CASE("timestamp keys sort bytewise in numeric order, negatives first", "[storage][keys]") {
  const std::int64_t ordered[] = {INT64_MIN, -1000, -1, 0, 1, 1700000000000, INT64_MAX};
  for (std::size_t i = 0; i + 1 < std::size(ordered); ++i) {
    char a[8];
    char b[8];
    keys::put_u64(a, keys::timestamp_to_key(ordered[i]));
    keys::put_u64(b, keys::timestamp_to_key(ordered[i + 1]));
    CHECK(std::string_view(a, 8) < std::string_view(b, 8));
    CHECK(keys::timestamp_from_key(keys::timestamp_to_key(ordered[i])) == ordered[i]);
  }
}
