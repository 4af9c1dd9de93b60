#include "server/handlers/topic_produce_settings.h"

#include <charconv>
#include <string>

namespace weir::handlers {
namespace {

using protocol::records::Compression;

const std::string* find_config(const storage::TopicDescription& topic, const char* key) {
  const auto found = topic.configs.find(key);
  return found == topic.configs.end() ? nullptr : &found->second;
}

std::optional<std::int64_t> parse_non_negative(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

TopicProduceSettings produce_settings_for(const storage::TopicDescription& topic, const Config& broker) {
  TopicProduceSettings settings;
  settings.max_message_bytes = broker.max_message_bytes;
  if (const std::string* value = find_config(topic, "compression.type")) {
    if (*value == "uncompressed") settings.compression = Compression::none;
    else if (*value == "gzip") settings.compression = Compression::gzip;
    else if (*value == "snappy") settings.compression = Compression::snappy;
    else if (*value == "lz4") settings.compression = Compression::lz4;
    else if (*value == "zstd") settings.compression = Compression::zstd;
  }
  if (const std::string* value = find_config(topic, "max.message.bytes")) {
    if (const auto bytes = parse_non_negative(*value)) settings.max_message_bytes = *bytes;
  }
  if (const std::string* value = find_config(topic, "message.timestamp.type"))
    settings.log_append_time = *value == "LogAppendTime";
  if (const std::string* value = find_config(topic, "segment.bytes")) {
    if (const auto bytes = parse_non_negative(*value)) settings.segment_bytes = *bytes;
  }
  return settings;
}

}  // namespace weir::handlers
