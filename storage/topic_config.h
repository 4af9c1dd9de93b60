// Topic configuration: every per-topic key Apache Kafka 3.x lists in DescribeConfigs for a
// topic, with Kafka's default, type and validator, and the typed values a topic runs with.
//
// Topics store their overrides as text (key -> value, as a client sent them, trimmed).
// Everything that accepts an override (CreateTopics, AlterConfigs,
// IncrementalAlterConfigs) validates it here first, so a stored override always parses.
// Pure functions and constant tables: no RocksDB, no clocks, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace weir::storage {

// Kafka's ConfigDef types; the numbers are DescribeConfigs' ConfigType field (v3+).
enum class ConfigType : std::int8_t {
  boolean = 1,
  string = 2,
  int32 = 3,    // Kafka's INT
  int64 = 5,    // Kafka's LONG
  float64 = 6,  // Kafka's DOUBLE
  list = 7,     // comma-separated
};

// Whether Weir acts on a config or only stores and reports it (a single broker has no
// replicas to throttle, no segments to preallocate, ...). Accepting those keeps tools
// that set them (kafka-topics --config, Terraform providers) working.
enum class Enforcement : std::int8_t { enforced, accepted };

enum class CompressionType : std::int8_t { producer, uncompressed, gzip, snappy, lz4, zstd };
enum class TimestampType : std::int8_t { create_time, log_append_time };

// One topic config key. `broker_synonyms` are the broker-level keys that set the same
// default, most specific first, as Kafka lists them in DescribeConfigs synonyms.
struct TopicConfigDefinition {
  std::string_view name;
  ConfigType type;
  std::string_view default_value;
  Enforcement enforcement;
  std::span<const std::string_view> broker_synonyms;
  std::string_view documentation;
  // Inclusive bounds for int32/int64/float64; the type's own range when unset.
  std::optional<double> min;
  std::optional<double> max;
  // For string and list types: the only values allowed (case-sensitive, as Kafka's
  // ValidString/ValidList). Empty means any value.
  std::span<const std::string_view> allowed_values;
};

// Every topic config key, sorted by name.
std::span<const TopicConfigDefinition> topic_config_definitions();
// nullptr for a key Kafka does not define for topics.
const TopicConfigDefinition* find_topic_config(std::string_view name);

// A refused config, in the words Kafka uses; the server sends it with INVALID_CONFIG.
struct TopicConfigError {
  std::string key;
  std::string message;  // e.g. "Invalid value abc for configuration retention.ms: Not a number of
                        // type LONG"
};

// Checks one key and value. On success returns nullopt and, if `normalized` is given,
// stores the value as it will be kept (surrounding whitespace removed; list items trimmed).
std::optional<TopicConfigError> validate_topic_config(std::string_view key, std::string_view value,
                                                      std::string* normalized = nullptr);
// Checks every entry; the first error wins. On success replaces each value by its
// normalized form.
std::optional<TopicConfigError> validate_topic_configs(std::map<std::string, std::string>* configs);

// The values a topic runs with: its overrides over Kafka's defaults. Field defaults are
// Kafka 3.x's; each field is named after its key.
struct TopicConfig {
  bool cleanup_policy_delete = true;    // cleanup.policy contains "delete"
  bool cleanup_policy_compact = false;  // cleanup.policy contains "compact"
  CompressionType compression_type = CompressionType::producer;
  std::int32_t compression_gzip_level = -1;
  std::int32_t compression_lz4_level = 9;
  std::int32_t compression_zstd_level = 3;
  std::int64_t delete_retention_ms = 86400000;
  std::int64_t file_delete_delay_ms = 60000;
  std::int64_t flush_messages = INT64_MAX;
  std::int64_t flush_ms = INT64_MAX;
  std::int32_t index_interval_bytes = 4096;
  std::int64_t local_retention_bytes = -2;
  std::int64_t local_retention_ms = -2;
  std::int64_t max_compaction_lag_ms = INT64_MAX;
  std::int32_t max_message_bytes = 1048588;
  bool message_downconversion_enable = true;
  std::int64_t message_timestamp_after_max_ms = INT64_MAX;
  std::int64_t message_timestamp_before_max_ms = INT64_MAX;
  std::int64_t message_timestamp_difference_max_ms = INT64_MAX;
  TimestampType message_timestamp_type = TimestampType::create_time;
  double min_cleanable_dirty_ratio = 0.5;
  std::int64_t min_compaction_lag_ms = 0;
  std::int32_t min_insync_replicas = 1;
  bool preallocate = false;
  bool remote_storage_enable = false;
  std::int64_t retention_bytes = -1;      // -1: no size limit
  std::int64_t retention_ms = 604800000;  // -1: no time limit
  std::int32_t segment_bytes = 1073741824;
  std::int32_t segment_index_bytes = 10485760;
  std::int64_t segment_jitter_ms = 0;
  std::int64_t segment_ms = 604800000;
  bool unclean_leader_election_enable = false;
};

// Builds a topic's config from its overrides, falling back to `defaults` (broker-level
// values keyed by topic config name) and then to Kafka's defaults. Unknown keys are
// ignored; a value that does not validate is an error (stored overrides were validated,
// so this means a corrupt record or a bad broker default).
std::optional<TopicConfigError> parse_topic_config(
    const std::map<std::string, std::string>& overrides, TopicConfig* config,
    const std::map<std::string, std::string>& defaults = {});

// Kafka's names for the enum values ("producer", "CreateTime", ...).
std::string_view to_string(CompressionType type);
std::string_view to_string(TimestampType type);

}  // namespace weir::storage
