// Encoding of the `meta` column family (docs/storage.md describes it byte by byte), topic
// name rules, and random ids. Pure functions: no RocksDB, no clocks.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storage/types.h"

namespace weir::storage::metadata {

// Keys of the `meta` column family.
inline constexpr std::string_view format_version_key = "format_version";
inline constexpr std::string_view cluster_id_key = "cluster_id";
inline constexpr std::string_view next_topic_id_key = "next_topic_id";
inline constexpr std::string_view topic_key_prefix = "topic/";
// "log_start/" ‖ topic internal id u32 ‖ partition u32 -> log start offset u64, written
// when a deletion moves it; absent means the first stored batch (or 0).
inline constexpr std::string_view log_start_key_prefix = "log_start/";

// The on-disk layout this code writes; open refuses a database with a newer one.
inline constexpr std::uint32_t format_version = 1;

// Kafka's rule: 1 to 249 characters from [a-zA-Z0-9._-], and neither "." nor "..".
bool is_valid_topic_name(std::string_view name);

std::string topic_key(std::string_view name);
std::string log_start_key(std::uint32_t topic_internal_id, std::uint32_t partition);
std::string encode_topic(const TopicDescription& topic);
// nullopt if `value` is not a well-formed version 1 topic record.
std::optional<TopicDescription> decode_topic(std::string_view name, std::string_view value);

std::string encode_u32(std::uint32_t value);
std::optional<std::uint32_t> decode_u32(std::string_view value);

// A random version 4 UUID (RFC 4122 variant bits set).
Uuid random_uuid();
// Kafka's text form of a UUID (as `kafka-storage random-uuid` prints a cluster id):
// URL-safe base64 without padding, 22 characters.
std::string to_kafka_base64(const Uuid& uuid);

}  // namespace weir::storage::metadata
