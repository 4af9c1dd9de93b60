#include <algorithm>
#include <catch2/catch.hpp>

#include "storage/topic_config.h"

using namespace weir::storage;

TEST_CASE("topic config definitions are sorted, unique and their defaults validate") {
  auto definitions = topic_config_definitions();
  REQUIRE(definitions.size() >= 30);
  for (std::size_t i = 1; i < definitions.size(); ++i)
    CHECK(definitions[i - 1].name < definitions[i].name);
  for (const auto& definition : definitions) {
    INFO(definition.name);
    CHECK_FALSE(validate_topic_config(definition.name, definition.default_value).has_value());
    CHECK(find_topic_config(definition.name) == &definition);
  }
}

TEST_CASE("the keys clients set most are defined with Kafka's defaults") {
  CHECK(find_topic_config("cleanup.policy")->default_value == "delete");
  CHECK(find_topic_config("retention.ms")->default_value == "604800000");
  CHECK(find_topic_config("max.message.bytes")->default_value == "1048588");
  CHECK(find_topic_config("segment.bytes")->default_value == "1073741824");
  CHECK(find_topic_config("min.insync.replicas")->type == ConfigType::int32);
  CHECK(find_topic_config("retention.bytes")->type == ConfigType::int64);
  CHECK(find_topic_config("no.such.key") == nullptr);
}

TEST_CASE("an unknown topic config key is refused with its name") {
  auto error = validate_topic_config("retention.msec", "1000");
  REQUIRE(error);
  CHECK(error->key == "retention.msec");
  CHECK(error->message == "Unknown topic config name: retention.msec");
}

TEST_CASE("invalid topic config values are refused in Kafka's words") {
  auto not_a_number = validate_topic_config("retention.ms", "abc");
  REQUIRE(not_a_number);
  CHECK(not_a_number->message ==
        "Invalid value abc for configuration retention.ms: Not a number of type LONG");

  auto below_minimum = validate_topic_config("retention.ms", "-5");
  REQUIRE(below_minimum);
  CHECK(below_minimum->message ==
        "Invalid value -5 for configuration retention.ms: Value must be at least -1");

  auto not_an_int = validate_topic_config("max.message.bytes", "3000000000");
  REQUIRE(not_an_int);
  CHECK(not_an_int->message.find("Not a number of type INT") != std::string::npos);

  auto bad_choice = validate_topic_config("compression.type", "brotli");
  REQUIRE(bad_choice);
  CHECK(bad_choice->message.find(
            "String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer") !=
        std::string::npos);

  CHECK(validate_topic_config("cleanup.policy", "delete,shred"));
  CHECK(validate_topic_config("cleanup.policy", ""));
  CHECK(validate_topic_config("preallocate", "yes"));
  CHECK(validate_topic_config("min.cleanable.dirty.ratio", "1.5"));
  CHECK(validate_topic_config("compression.gzip.level", "0"));
  CHECK(validate_topic_config("min.insync.replicas", "0"));
}

TEST_CASE("valid values are normalized before they are stored") {
  std::string normalized;
  REQUIRE_FALSE(validate_topic_config("cleanup.policy", " compact , delete ", &normalized));
  CHECK(normalized == "compact,delete");
  REQUIRE_FALSE(validate_topic_config("preallocate", "TRUE", &normalized));
  CHECK(normalized == "true");
  REQUIRE_FALSE(validate_topic_config("retention.ms", " 1000 ", &normalized));
  CHECK(normalized == "1000");

  std::map<std::string, std::string> configs{{"retention.ms", " 60000"},
                                             {"compression.type", "zstd "}};
  REQUIRE_FALSE(validate_topic_configs(&configs));
  CHECK(configs["retention.ms"] == "60000");
  CHECK(configs["compression.type"] == "zstd");
}

TEST_CASE("a topic config is its overrides over broker defaults over Kafka's defaults") {
  TopicConfig config;
  REQUIRE_FALSE(parse_topic_config({}, &config));
  CHECK(config.retention_ms == 604800000);
  CHECK(config.cleanup_policy_delete);
  CHECK_FALSE(config.cleanup_policy_compact);
  CHECK(config.message_timestamp_type == TimestampType::create_time);

  std::map<std::string, std::string> overrides{{"retention.ms", "1000"},
                                               {"cleanup.policy", "compact"},
                                               {"compression.type", "lz4"},
                                               {"message.timestamp.type", "LogAppendTime"},
                                               {"max.message.bytes", "2048"}};
  std::map<std::string, std::string> broker_defaults{{"retention.ms", "5000"},
                                                     {"retention.bytes", "123"}};
  REQUIRE_FALSE(parse_topic_config(overrides, &config, broker_defaults));
  CHECK(config.retention_ms == 1000);
  CHECK(config.retention_bytes == 123);
  CHECK(config.cleanup_policy_compact);
  CHECK_FALSE(config.cleanup_policy_delete);
  CHECK(config.compression_type == CompressionType::lz4);
  CHECK(config.message_timestamp_type == TimestampType::log_append_time);
  CHECK(config.max_message_bytes == 2048);

  auto corrupt = parse_topic_config({{"retention.ms", "soon"}}, &config);
  REQUIRE(corrupt);
  CHECK(corrupt->key == "retention.ms");
}
