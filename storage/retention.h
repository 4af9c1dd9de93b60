// Retention settings of a topic, read from its stored configs with Kafka's defaults.
// Pure: no RocksDB, no clocks.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace weir::storage {

struct RetentionPolicy {
  // retention.ms: batches whose max timestamp is older than this are deleted; -1 keeps
  // them for ever. Kafka's default is 7 days.
  std::int64_t retention_ms = 604800000;
  // retention.bytes: the oldest batches are deleted while the partition would still hold
  // at least this many bytes without them; -1 means no size limit (Kafka's default).
  std::int64_t retention_bytes = -1;

  bool keeps_everything() const { return retention_ms < 0 && retention_bytes < 0; }
};

// Reads retention.ms and retention.bytes from a topic's configs; with a cleanup.policy
// without "delete" (compact only) the topic keeps everything, as in Kafka. A missing or unreadable
// value (CreateTopics stores configs as given) falls back to the default, so a bad value
// never deletes more than the default would; any negative value means "no limit".
RetentionPolicy retention_policy(const std::map<std::string, std::string>& configs);

}  // namespace weir::storage
