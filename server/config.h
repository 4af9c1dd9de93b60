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
  // GROUP_MIN_SESSION_TIMEOUT_MS / GROUP_MAX_SESSION_TIMEOUT_MS: the session timeouts a
  // consumer group member may ask for (Kafka's group.min/max.session.timeout.ms).
  std::int32_t group_min_session_timeout_ms = 6000;
  std::int32_t group_max_session_timeout_ms = 1800000;
  // GROUP_INITIAL_REBALANCE_DELAY_MS: how long the first rebalance of an empty group waits
  // for more members to arrive (Kafka's group.initial.rebalance.delay.ms).
  std::int32_t group_initial_rebalance_delay_ms = 3000;
};

// Builds the configuration from defaults and the environment. On a bad value returns
// false and fills `error` with "SETTING: reason".
bool load_config(Config* config, std::string* error);

// Parses "host:port" (IPv6 as "[::1]:9092"); false on anything else.
bool parse_host_port(const std::string& text, HostPort* out);

}  // namespace weir
