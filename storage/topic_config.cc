#include "storage/topic_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

namespace weir::storage {
namespace {

using namespace std::string_view_literals;

constexpr std::array no_synonyms = std::array<std::string_view, 0>{};

// Broker-level keys behind each topic key (Kafka's LogConfig.TopicConfigSynonyms), most
// specific first: DescribeConfigs lists them in this order.
constexpr std::array cleanup_policy_synonyms = {"log.cleanup.policy"sv};
constexpr std::array compression_type_synonyms = {"compression.type"sv};
constexpr std::array gzip_level_synonyms = {"compression.gzip.level"sv};
constexpr std::array lz4_level_synonyms = {"compression.lz4.level"sv};
constexpr std::array zstd_level_synonyms = {"compression.zstd.level"sv};
constexpr std::array delete_retention_synonyms = {"log.cleaner.delete.retention.ms"sv};
constexpr std::array file_delete_delay_synonyms = {"log.segment.delete.delay.ms"sv};
constexpr std::array flush_messages_synonyms = {"log.flush.interval.messages"sv};
constexpr std::array flush_ms_synonyms = {"log.flush.interval.ms"sv,
                                          "log.flush.scheduler.interval.ms"sv};
constexpr std::array index_interval_synonyms = {"log.index.interval.bytes"sv};
constexpr std::array local_retention_bytes_synonyms = {"log.local.retention.bytes"sv};
constexpr std::array local_retention_ms_synonyms = {"log.local.retention.ms"sv};
constexpr std::array max_compaction_lag_synonyms = {"log.cleaner.max.compaction.lag.ms"sv};
constexpr std::array max_message_bytes_synonyms = {"message.max.bytes"sv};
constexpr std::array downconversion_synonyms = {"log.message.downconversion.enable"sv};
constexpr std::array format_version_synonyms = {"log.message.format.version"sv};
constexpr std::array timestamp_after_synonyms = {"log.message.timestamp.after.max.ms"sv};
constexpr std::array timestamp_before_synonyms = {"log.message.timestamp.before.max.ms"sv};
constexpr std::array timestamp_difference_synonyms = {"log.message.timestamp.difference.max.ms"sv};
constexpr std::array timestamp_type_synonyms = {"log.message.timestamp.type"sv};
constexpr std::array dirty_ratio_synonyms = {"log.cleaner.min.cleanable.ratio"sv};
constexpr std::array min_compaction_lag_synonyms = {"log.cleaner.min.compaction.lag.ms"sv};
constexpr std::array min_insync_synonyms = {"min.insync.replicas"sv};
constexpr std::array preallocate_synonyms = {"log.preallocate"sv};
constexpr std::array retention_bytes_synonyms = {"log.retention.bytes"sv};
constexpr std::array retention_ms_synonyms = {"log.retention.ms"sv, "log.retention.minutes"sv,
                                              "log.retention.hours"sv};
constexpr std::array segment_bytes_synonyms = {"log.segment.bytes"sv};
constexpr std::array segment_index_synonyms = {"log.index.size.max.bytes"sv};
constexpr std::array segment_jitter_synonyms = {"log.roll.jitter.ms"sv, "log.roll.jitter.hours"sv};
constexpr std::array segment_ms_synonyms = {"log.roll.ms"sv, "log.roll.hours"sv};
constexpr std::array unclean_election_synonyms = {"unclean.leader.election.enable"sv};

constexpr std::array cleanup_policies = {"compact"sv, "delete"sv};
constexpr std::array compression_types = {"uncompressed"sv, "zstd"sv, "lz4"sv,
                                          "snappy"sv,       "gzip"sv, "producer"sv};
constexpr std::array timestamp_types = {"CreateTime"sv, "LogAppendTime"sv};
constexpr std::array<std::string_view, 0> any_value{};

constexpr auto E = Enforcement::enforced;
constexpr auto A = Enforcement::accepted;
constexpr std::optional<double> none = std::nullopt;

// Kafka 3.x defaults and validators (LogConfig, TopicConfig). Kept sorted by name.
const std::array definitions = {
    TopicConfigDefinition{
        "cleanup.policy", ConfigType::list, "delete", E, cleanup_policy_synonyms,
        "Retention policy of old log segments: \"delete\" discards them by time or size; "
        "\"compact\" keeps the latest value per key (accepted, not yet applied).",
        none, none, cleanup_policies},
    TopicConfigDefinition{
        "compression.gzip.level", ConfigType::int32, "-1", A, gzip_level_synonyms,
        "Compression level used when compression.type is gzip (1-9, or -1 for the codec default).",
        -1, 9, any_value},
    TopicConfigDefinition{"compression.lz4.level", ConfigType::int32, "9", A, lz4_level_synonyms,
                          "Compression level used when compression.type is lz4.", 1, 17, any_value},
    TopicConfigDefinition{
        "compression.type", ConfigType::string, "producer", E, compression_type_synonyms,
        "Final compression of the topic's batches: a codec, \"uncompressed\", or \"producer\" "
        "to keep what the producer sent.",
        none, none, compression_types},
    TopicConfigDefinition{"compression.zstd.level", ConfigType::int32, "3", A, zstd_level_synonyms,
                          "Compression level used when compression.type is zstd.", -131072, 22,
                          any_value},
    TopicConfigDefinition{
        "delete.retention.ms", ConfigType::int64, "86400000", A, delete_retention_synonyms,
        "How long delete tombstones are kept on compacted topics.", 0, none, any_value},
    TopicConfigDefinition{
        "file.delete.delay.ms", ConfigType::int64, "60000", A, file_delete_delay_synonyms,
        "Time to wait before deleting a file from the filesystem.", 0, none, any_value},
    TopicConfigDefinition{
        "flush.messages", ConfigType::int64, "9223372036854775807", A, flush_messages_synonyms,
        "Messages written between forced fsyncs of the log (Weir syncs per acks instead).", 1, none,
        any_value},
    TopicConfigDefinition{
        "flush.ms", ConfigType::int64, "9223372036854775807", A, flush_ms_synonyms,
        "Time between forced fsyncs of the log (Weir syncs per acks instead).", 0, none, any_value},
    TopicConfigDefinition{
        "follower.replication.throttled.replicas", ConfigType::list, "", A, no_synonyms,
        "Replicas whose follower replication is throttled (no followers on one broker).", none,
        none, any_value},
    TopicConfigDefinition{"index.interval.bytes", ConfigType::int32, "4096", A,
                          index_interval_synonyms, "How often Kafka adds an offset index entry.", 0,
                          none, any_value},
    TopicConfigDefinition{
        "leader.replication.throttled.replicas", ConfigType::list, "", A, no_synonyms,
        "Replicas whose leader replication is throttled (no followers on one broker).", none, none,
        any_value},
    TopicConfigDefinition{"local.retention.bytes", ConfigType::int64, "-2", A,
                          local_retention_bytes_synonyms,
                          "Local size limit when tiered storage is on (-2: use retention.bytes).",
                          -2, none, any_value},
    TopicConfigDefinition{
        "local.retention.ms", ConfigType::int64, "-2", A, local_retention_ms_synonyms,
        "Local time limit when tiered storage is on (-2: use retention.ms).", -2, none, any_value},
    TopicConfigDefinition{"max.compaction.lag.ms", ConfigType::int64, "9223372036854775807", A,
                          max_compaction_lag_synonyms,
                          "Longest time a message stays ineligible for compaction.", 1, none,
                          any_value},
    TopicConfigDefinition{
        "max.message.bytes", ConfigType::int32, "1048588", E, max_message_bytes_synonyms,
        "Largest record batch size allowed, after compression.", 0, none, any_value},
    TopicConfigDefinition{
        "message.downconversion.enable", ConfigType::boolean, "true", A, downconversion_synonyms,
        "Whether fetches from old clients may be down-converted.", none, none, any_value},
    TopicConfigDefinition{
        "message.format.version", ConfigType::string, "3.0-IV1", A, format_version_synonyms,
        "Deprecated message format version; Weir always stores format v2.", none, none, any_value},
    TopicConfigDefinition{
        "message.timestamp.after.max.ms", ConfigType::int64, "9223372036854775807", A,
        timestamp_after_synonyms,
        "Largest allowed amount a CreateTime timestamp may be ahead of the broker's clock.", 0,
        none, any_value},
    TopicConfigDefinition{
        "message.timestamp.before.max.ms", ConfigType::int64, "9223372036854775807", A,
        timestamp_before_synonyms,
        "Largest allowed amount a CreateTime timestamp may be behind the broker's clock.", 0, none,
        any_value},
    TopicConfigDefinition{
        "message.timestamp.difference.max.ms", ConfigType::int64, "9223372036854775807", A,
        timestamp_difference_synonyms,
        "Deprecated: largest allowed difference between a CreateTime timestamp and the broker's "
        "clock.",
        0, none, any_value},
    TopicConfigDefinition{
        "message.timestamp.type", ConfigType::string, "CreateTime", E, timestamp_type_synonyms,
        "Whether record timestamps are the producer's (CreateTime) or the broker's append time "
        "(LogAppendTime).",
        none, none, timestamp_types},
    TopicConfigDefinition{"min.cleanable.dirty.ratio", ConfigType::float64, "0.5", A,
                          dirty_ratio_synonyms,
                          "Dirty fraction of the log that triggers compaction.", 0, 1, any_value},
    TopicConfigDefinition{"min.compaction.lag.ms", ConfigType::int64, "0", A,
                          min_compaction_lag_synonyms, "Shortest time a message stays uncompacted.",
                          0, none, any_value},
    TopicConfigDefinition{
        "min.insync.replicas", ConfigType::int32, "1", A, min_insync_synonyms,
        "Replicas that must acknowledge an acks=all write (one broker: always 1 in sync).", 1, none,
        any_value},
    TopicConfigDefinition{"preallocate", ConfigType::boolean, "false", A, preallocate_synonyms,
                          "Whether segment files are preallocated.", none, none, any_value},
    TopicConfigDefinition{"remote.storage.enable", ConfigType::boolean, "false", A, no_synonyms,
                          "Whether tiered storage is on for the topic (Weir has none).", none, none,
                          any_value},
    TopicConfigDefinition{
        "retention.bytes", ConfigType::int64, "-1", E, retention_bytes_synonyms,
        "Largest size a partition may grow to before old data is discarded (-1: no limit).", none,
        none, any_value},
    TopicConfigDefinition{"retention.ms", ConfigType::int64, "604800000", E, retention_ms_synonyms,
                          "Longest time data is kept before it is discarded (-1: no limit).", -1,
                          none, any_value},
    TopicConfigDefinition{"segment.bytes", ConfigType::int32, "1073741824", A,
                          segment_bytes_synonyms,
                          "Segment file size (Weir keeps batches in RocksDB, not segment files).",
                          14, none, any_value},
    TopicConfigDefinition{"segment.index.bytes", ConfigType::int32, "10485760", A,
                          segment_index_synonyms, "Size of the offset index of a segment.", 4, none,
                          any_value},
    TopicConfigDefinition{"segment.jitter.ms", ConfigType::int64, "0", A, segment_jitter_synonyms,
                          "Random jitter subtracted from segment.ms.", 0, none, any_value},
    TopicConfigDefinition{"segment.ms", ConfigType::int64, "604800000", A, segment_ms_synonyms,
                          "Time after which a segment is rolled.", 1, none, any_value},
    TopicConfigDefinition{
        "unclean.leader.election.enable", ConfigType::boolean, "false", A,
        unclean_election_synonyms,
        "Whether an out-of-sync replica may become leader (one broker: no effect).", none, none,
        any_value},
};

std::string_view trim(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\n";
  auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  if (trim(text).empty()) return items;
  std::size_t start = 0;
  while (true) {
    auto comma = text.find(',', start);
    items.push_back(
        trim(text.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

template <typename Integer>
std::optional<Integer> parse_integer(std::string_view text) {
  Integer value{};
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(copy.c_str(), &end);
  if (errno != 0 || end != copy.c_str() + copy.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> parse_boolean(std::string_view text) {
  auto lower = std::string(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "true") return true;
  if (lower == "false") return false;
  return std::nullopt;
}

std::string join(std::span<const std::string_view> values) {
  std::string joined;
  for (auto value : values) {
    if (!joined.empty()) joined += ", ";
    joined += value;
  }
  return joined;
}

std::string format_bound(double bound) {
  if (bound == std::floor(bound) && std::fabs(bound) < 1e18)
    return fmt::format("{}", static_cast<long long>(bound));
  return fmt::format("{}", bound);
}

// Kafka's Range validator wording.
std::optional<std::string> check_range(const TopicConfigDefinition& definition, double value) {
  if (definition.min && definition.max && (value < *definition.min || value > *definition.max))
    return fmt::format("Value must be in the range [{}, {}]", format_bound(*definition.min),
                       format_bound(*definition.max));
  if (definition.min && value < *definition.min)
    return fmt::format("Value must be at least {}", format_bound(*definition.min));
  if (definition.max && value > *definition.max)
    return fmt::format("Value must be no more than {}", format_bound(*definition.max));
  return std::nullopt;
}

// Returns the reason the value is refused, or nullopt; fills *normalized on success.
std::optional<std::string> check_value(const TopicConfigDefinition& definition,
                                       std::string_view value, std::string* normalized) {
  std::string_view text = trim(value);
  switch (definition.type) {
    case ConfigType::boolean:
      if (!parse_boolean(text)) return "Expected value to be either true or false";
      *normalized = *parse_boolean(text) ? "true" : "false";
      return std::nullopt;
    case ConfigType::int32: {
      auto parsed = parse_integer<std::int32_t>(text);
      if (!parsed) return "Not a number of type INT";
      // Kafka's gzip level validator: 1 to 9, or -1 for the codec's default.
      if (definition.name == "compression.gzip.level" && *parsed == 0)
        return "Value must be between 1 and 9, or -1";
      if (auto refused = check_range(definition, *parsed)) return refused;
      *normalized = std::to_string(*parsed);
      return std::nullopt;
    }
    case ConfigType::int64: {
      auto parsed = parse_integer<std::int64_t>(text);
      if (!parsed) return "Not a number of type LONG";
      if (auto refused = check_range(definition, static_cast<double>(*parsed))) return refused;
      *normalized = std::to_string(*parsed);
      return std::nullopt;
    }
    case ConfigType::float64: {
      auto parsed = parse_double(text);
      if (!parsed) return "Not a number of type DOUBLE";
      if (auto refused = check_range(definition, *parsed)) return refused;
      *normalized = std::string(text);
      return std::nullopt;
    }
    case ConfigType::string:
      if (!definition.allowed_values.empty() &&
          std::find(definition.allowed_values.begin(), definition.allowed_values.end(), text) ==
              definition.allowed_values.end())
        return fmt::format("String must be one of: {}", join(definition.allowed_values));
      *normalized = std::string(text);
      return std::nullopt;
    case ConfigType::list: {
      std::string joined;
      for (auto item : split_list(text)) {
        if (item.empty()) return "List items must not be empty";
        if (!definition.allowed_values.empty() &&
            std::find(definition.allowed_values.begin(), definition.allowed_values.end(), item) ==
                definition.allowed_values.end())
          return fmt::format("List items must be one of: {}", join(definition.allowed_values));
        if (!joined.empty()) joined += ',';
        joined += item;
      }
      // Kafka's cleanup.policy must name at least one policy.
      if (joined.empty() && !definition.allowed_values.empty()) return "Empty list not allowed";
      *normalized = std::move(joined);
      return std::nullopt;
    }
  }
  return "Unknown type";
}

template <typename Integer>
Integer as(std::string_view normalized) {
  return parse_integer<Integer>(normalized).value_or(0);
}

bool contains(std::string_view list, std::string_view item) {
  for (auto entry : split_list(list))
    if (entry == item) return true;
  return false;
}

CompressionType compression_from(std::string_view text) {
  if (text == "uncompressed") return CompressionType::uncompressed;
  if (text == "gzip") return CompressionType::gzip;
  if (text == "snappy") return CompressionType::snappy;
  if (text == "lz4") return CompressionType::lz4;
  if (text == "zstd") return CompressionType::zstd;
  return CompressionType::producer;
}

// Stores one validated, normalized value in its field.
void assign(TopicConfig& config, std::string_view key, std::string_view value) {
  if (key == "cleanup.policy") {
    config.cleanup_policy_delete = contains(value, "delete");
    config.cleanup_policy_compact = contains(value, "compact");
  } else if (key == "compression.type")
    config.compression_type = compression_from(value);
  else if (key == "compression.gzip.level")
    config.compression_gzip_level = as<std::int32_t>(value);
  else if (key == "compression.lz4.level")
    config.compression_lz4_level = as<std::int32_t>(value);
  else if (key == "compression.zstd.level")
    config.compression_zstd_level = as<std::int32_t>(value);
  else if (key == "delete.retention.ms")
    config.delete_retention_ms = as<std::int64_t>(value);
  else if (key == "file.delete.delay.ms")
    config.file_delete_delay_ms = as<std::int64_t>(value);
  else if (key == "flush.messages")
    config.flush_messages = as<std::int64_t>(value);
  else if (key == "flush.ms")
    config.flush_ms = as<std::int64_t>(value);
  else if (key == "index.interval.bytes")
    config.index_interval_bytes = as<std::int32_t>(value);
  else if (key == "local.retention.bytes")
    config.local_retention_bytes = as<std::int64_t>(value);
  else if (key == "local.retention.ms")
    config.local_retention_ms = as<std::int64_t>(value);
  else if (key == "max.compaction.lag.ms")
    config.max_compaction_lag_ms = as<std::int64_t>(value);
  else if (key == "max.message.bytes")
    config.max_message_bytes = as<std::int32_t>(value);
  else if (key == "message.downconversion.enable")
    config.message_downconversion_enable = value == "true";
  else if (key == "message.timestamp.after.max.ms")
    config.message_timestamp_after_max_ms = as<std::int64_t>(value);
  else if (key == "message.timestamp.before.max.ms")
    config.message_timestamp_before_max_ms = as<std::int64_t>(value);
  else if (key == "message.timestamp.difference.max.ms")
    config.message_timestamp_difference_max_ms = as<std::int64_t>(value);
  else if (key == "message.timestamp.type")
    config.message_timestamp_type =
        value == "LogAppendTime" ? TimestampType::log_append_time : TimestampType::create_time;
  else if (key == "min.cleanable.dirty.ratio")
    config.min_cleanable_dirty_ratio = parse_double(value).value_or(0.5);
  else if (key == "min.compaction.lag.ms")
    config.min_compaction_lag_ms = as<std::int64_t>(value);
  else if (key == "min.insync.replicas")
    config.min_insync_replicas = as<std::int32_t>(value);
  else if (key == "preallocate")
    config.preallocate = value == "true";
  else if (key == "remote.storage.enable")
    config.remote_storage_enable = value == "true";
  else if (key == "retention.bytes")
    config.retention_bytes = as<std::int64_t>(value);
  else if (key == "retention.ms")
    config.retention_ms = as<std::int64_t>(value);
  else if (key == "segment.bytes")
    config.segment_bytes = as<std::int32_t>(value);
  else if (key == "segment.index.bytes")
    config.segment_index_bytes = as<std::int32_t>(value);
  else if (key == "segment.jitter.ms")
    config.segment_jitter_ms = as<std::int64_t>(value);
  else if (key == "segment.ms")
    config.segment_ms = as<std::int64_t>(value);
  else if (key == "unclean.leader.election.enable")
    config.unclean_leader_election_enable = value == "true";
}

}  // namespace

std::span<const TopicConfigDefinition> topic_config_definitions() { return definitions; }

const TopicConfigDefinition* find_topic_config(std::string_view name) {
  auto found = std::lower_bound(
      definitions.begin(), definitions.end(), name,
      [](const TopicConfigDefinition& entry, std::string_view key) { return entry.name < key; });
  if (found == definitions.end() || found->name != name) return nullptr;
  return &*found;
}

std::optional<TopicConfigError> validate_topic_config(std::string_view key, std::string_view value,
                                                      std::string* normalized) {
  const TopicConfigDefinition* definition = find_topic_config(key);
  if (!definition)
    return TopicConfigError{std::string(key), fmt::format("Unknown topic config name: {}", key)};
  std::string kept;
  if (auto reason = check_value(*definition, value, &kept))
    return TopicConfigError{
        std::string(key),
        fmt::format("Invalid value {} for configuration {}: {}", value, key, *reason)};
  if (normalized) *normalized = std::move(kept);
  return std::nullopt;
}

std::optional<TopicConfigError> validate_topic_configs(
    std::map<std::string, std::string>* configs) {
  for (auto& [key, value] : *configs) {
    std::string normalized;
    if (auto error = validate_topic_config(key, value, &normalized)) return error;
    value = std::move(normalized);
  }
  return std::nullopt;
}

std::optional<TopicConfigError> parse_topic_config(
    const std::map<std::string, std::string>& overrides, TopicConfig* config,
    const std::map<std::string, std::string>& defaults) {
  TopicConfig parsed;
  for (const auto* layer : {&defaults, &overrides}) {
    for (const auto& [key, value] : *layer) {
      if (!find_topic_config(key)) continue;
      std::string normalized;
      if (auto error = validate_topic_config(key, value, &normalized)) return error;
      assign(parsed, key, normalized);
    }
  }
  *config = parsed;
  return std::nullopt;
}

std::string_view to_string(CompressionType type) {
  switch (type) {
    case CompressionType::producer:
      return "producer";
    case CompressionType::uncompressed:
      return "uncompressed";
    case CompressionType::gzip:
      return "gzip";
    case CompressionType::snappy:
      return "snappy";
    case CompressionType::lz4:
      return "lz4";
    case CompressionType::zstd:
      return "zstd";
  }
  return "producer";
}

std::string_view to_string(TimestampType type) {
  return type == TimestampType::log_append_time ? "LogAppendTime" : "CreateTime";
}

}  // namespace weir::storage
