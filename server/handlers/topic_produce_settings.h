// The topic configs Produce applies: a topic's overrides parsed by the topic config
// registry (storage/topic_config.h), over the broker's defaults.
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/records/record_batch.h"
#include "server/config.h"
#include "storage/types.h"

namespace weir::handlers {

struct TopicProduceSettings {
  // compression.type: nullopt for "producer" (keep the producer's codec); otherwise the
  // codec every batch is stored with, Compression::none for "uncompressed".
  std::optional<protocol::records::Compression> compression;
  // max.message.bytes: the largest batch accepted, after any recompression.
  std::int64_t max_message_bytes = 1048588;
  // message.timestamp.type: LogAppendTime stamps each batch with the broker's clock.
  bool log_append_time = false;
  // segment.bytes: Kafka refuses a batch larger than a log segment with
  // RECORD_LIST_TOO_LARGE; Weir has no segments but keeps the limit.
  std::int64_t segment_bytes = 1073741824;
};

TopicProduceSettings produce_settings_for(const storage::TopicDescription& topic,
                                          const Config& broker);

}  // namespace weir::handlers
