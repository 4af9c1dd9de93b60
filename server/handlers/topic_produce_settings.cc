#include "server/handlers/topic_produce_settings.h"

#include <map>
#include <string>

#include "storage/topic_config.h"

namespace weir::handlers {
namespace {

using protocol::records::Compression;

std::optional<Compression> codec_for(storage::CompressionType type) {
  switch (type) {
    case storage::CompressionType::producer:
      return std::nullopt;
    case storage::CompressionType::uncompressed:
      return Compression::none;
    case storage::CompressionType::gzip:
      return Compression::gzip;
    case storage::CompressionType::snappy:
      return Compression::snappy;
    case storage::CompressionType::lz4:
      return Compression::lz4;
    case storage::CompressionType::zstd:
      return Compression::zstd;
  }
  return std::nullopt;
}

}  // namespace

TopicProduceSettings produce_settings_for(const storage::TopicDescription& topic,
                                          const Config& broker) {
  // The broker-level default a topic without its own max.message.bytes falls back to.
  const std::map<std::string, std::string> broker_defaults = {
      {"max.message.bytes", std::to_string(broker.max_message_bytes)}};
  storage::TopicConfig config;
  if (storage::parse_topic_config(topic.configs, &config, broker_defaults)) {
    // Overrides are validated when set; one that no longer parses must not stop produce.
    config = storage::TopicConfig{};
    storage::parse_topic_config({}, &config, broker_defaults);
  }
  TopicProduceSettings settings;
  settings.compression = codec_for(config.compression_type);
  settings.max_message_bytes = config.max_message_bytes;
  settings.log_append_time =
      config.message_timestamp_type == storage::TimestampType::log_append_time;
  settings.segment_bytes = config.segment_bytes;
  return settings;
}

}  // namespace weir::handlers
