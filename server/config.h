// The broker's effective configuration: one struct, a default and a comment per field.
// Sources, lowest precedence first: built-in defaults, then environment variables.
// A bad value stops start-up with a message naming the setting (see load_config).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weir {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

struct Config {
  // BIND_ADDRESS: host:port the Kafka listener binds to.
  HostPort bind_address{"0.0.0.0", 9092};
  // ADVERTISED_ADDRESS: host:port put in Metadata for clients to reconnect to. Defaults to
  // the bind address (127.0.0.1 when binding the wildcard, so local clients work).
  HostPort advertised_address{};
  // STORAGE_PATH: folder holding the RocksDB database (created if missing).
  std::string storage_path = "./data";
  // MAX_REQUEST_BYTES: largest request frame accepted, like Kafka's
  // socket.request.max.bytes; a larger frame closes that connection.
  std::int32_t max_request_bytes = 100 * 1024 * 1024;
  // NETWORK_THREADS: threads running connections, each with its own io_context (0 = cores).
  int network_threads = 0;
  // BACKPRESSURE_THRESHOLD: a connection stops reading while this many requests are queued.
  int backpressure_threshold = 1000;
  // NODE_ID: this broker's id in Metadata.
  std::int32_t node_id = 1;
  // AUTO_CREATE_TOPICS: create unknown topics on Metadata requests, like Kafka's
  // auto.create.topics.enable.
  bool auto_create_topics = true;
  // DEFAULT_PARTITIONS: partitions of an auto-created topic (Kafka's num.partitions).
  std::int32_t default_partitions = 1;
  // WEIR_LOG_LEVEL: debug, info, warn or error.
  std::string log_level = "info";
  // PRODUCER_ID_EXPIRATION_MS: an idempotent producer's state in a partition is dropped
  // after this long without an append there, like Kafka's producer.id.expiration.ms.
  std::int64_t producer_id_expiration_ms = 86400000;
  // MAX_MESSAGE_BYTES: largest record batch a topic accepts unless its max.message.bytes
  // says otherwise (Kafka's message.max.bytes, same default).
  std::int64_t max_message_bytes = 1048588;
  // VALIDATE_COMPRESSED_BATCHES: decompress every compressed batch and check its records
  // (count and framing) before storing it, as Kafka does. Off, a compressed batch is
  // opened only when its topic's compression.type asks for another codec.
  bool validate_compressed_batches = true;
  // DURABILITY: when the WAL is fsynced (docs/storage.md says what each survives).
  // "acks": acks=all replies after the fsync, acks=1 after the write (process crash safe);
  // "always": every write is fsynced before any reply (power-loss safe for every acks);
  // "interval": no reply waits for an fsync; the WAL is fsynced every FLUSH_INTERVAL_MS.
  std::string durability = "acks";
  // FLUSH_INTERVAL_MS: with DURABILITY=interval, the longest time an acknowledged write
  // stays unsynced (Kafka's flush.ms).
  std::int64_t flush_interval_ms = 1000;
  // TAIL_CACHE_BYTES: memory for the most recently written batches of every partition, so
  // consumers that keep up are served without reading RocksDB; 0 turns it off.
  std::int64_t tail_cache_bytes = 64 << 20;
};

// Builds the configuration from defaults and the environment. On a bad value returns
// false and fills `error` with "SETTING: reason".
bool load_config(Config* config, std::string* error);

// Parses "host:port" (IPv6 as "[::1]:9092"); false on anything else.
bool parse_host_port(const std::string& text, HostPort* out);

}  // namespace weir
