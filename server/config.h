// The broker's effective configuration: one struct, a default and a comment per field.
// Sources, lowest precedence first: built-in defaults, a TOML file, environment
// variables, command-line flags. A bad value stops start-up with a message naming the
// setting and the reason (see load_config). Each comment starts with the environment
// variable; the TOML key is the field name and the flag is --field-name.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weir {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// An IPv4 or IPv6 network ("10.0.0.0/8", "::1", "192.0.2.7"). IPv4 is held as an
// IPv4-mapped IPv6 address (::ffff:a.b.c.d) with the prefix length shifted by 96, so one
// comparison serves both families.
struct IpNetwork {
  std::array<std::uint8_t, 16> address{};
  int prefix_length = 128;
  // The network as the operator wrote it, for logs and --print-config.
  std::string text;

  // `ipv6_or_mapped` is an IPv6 address or an IPv4-mapped one, as
  // asio::ip::make_address_v6(asio::ip::v4_mapped, v4).to_bytes() returns.
  bool contains(const std::array<std::uint8_t, 16>& ipv6_or_mapped) const;
};

enum class TlsVersion { tls1_2, tls1_3 };
enum class LogFormat { text, json };

struct Config {
  // ---- Listeners and identity ----
  // BIND_ADDRESS: host:port the plaintext Kafka listener binds to.
  HostPort bind_address{"0.0.0.0", 9092};
  // ADVERTISED_ADDRESS: host:port put in Metadata for clients to reconnect to. Defaults to
  // the bind address (127.0.0.1 when binding the wildcard, so local clients work).
  HostPort advertised_address{};
  // NODE_ID: this broker's id in Metadata.
  std::int32_t node_id = 1;
  // METRICS_BIND_ADDRESS: host:port of the Prometheus /metrics, /health and /ready
  // endpoint; unset means no monitoring listener.
  std::optional<HostPort> metrics_bind_address{};

  // ---- Storage and topics ----
  // STORAGE_PATH: folder holding the RocksDB database (created if missing).
  std::string storage_path = "./data";
  // AUTO_CREATE_TOPICS: create unknown topics on Metadata requests, like Kafka's
  // auto.create.topics.enable.
  bool auto_create_topics = true;
  // DEFAULT_PARTITIONS: partitions of an auto-created topic (Kafka's num.partitions).
  std::int32_t default_partitions = 1;

  // ---- Requests and threads ----
  // MAX_REQUEST_BYTES: largest request frame accepted, like Kafka's
  // socket.request.max.bytes; a larger frame closes that connection.
  std::int32_t max_request_bytes = 100 * 1024 * 1024;
  // NETWORK_THREADS: threads running connections, each with its own io_context (0 = cores).
  int network_threads = 0;

  // ---- Admission control (checked at accept, before anything is allocated) ----
  // MAX_CONNECTIONS: open client connections across all listeners; further accepts are
  // closed at once.
  int max_connections = 10000;
  // MAX_CONNECTIONS_PER_IP: open connections from one peer address.
  int max_connections_per_ip = 100;
  // CONNECTION_RATE_LIMIT: new connections per second from one peer address; an address
  // going faster is banned for rate_limit_ban_secs. 0 turns the limit off.
  // 100, not 10: each librdkafka client opens 2-3 connections (bootstrap, broker,
  // coordinator), so a host starting a few dozen clients at once must stay admitted,
  // while a client stuck in a reconnect loop (hundreds per second) is still stopped.
  int connection_rate_limit = 100;
  // RATE_LIMIT_BAN_SECS: how long an address that broke the rate limit is refused.
  int rate_limit_ban_secs = 60;
  // CONNECTION_ALLOW_LIST: comma-separated addresses or CIDR networks that bypass the
  // per-IP limits and the ban (MAX_CONNECTIONS still applies), e.g. "10.0.0.0/8,::1".
  std::vector<IpNetwork> connection_allow_list{};

  // ---- Timeouts ----
  // IDLE_TIMEOUT_SECS: a connection with no request in flight and nothing received for
  // this long is closed, like Kafka's connections.max.idle.ms.
  int idle_timeout_secs = 600;
  // REQUEST_TIMEOUT_SECS: bounds both how long a started frame may take to arrive (slow
  // senders) and how long one request may stay in flight. Fetch long polls are answered
  // within half of it, whatever their max_wait_ms (server/handlers/fetch.cc).
  int request_timeout_secs = 30;

  // ---- Backpressure and memory budgets ----
  // BACKPRESSURE_THRESHOLD: a connection stops reading while this many requests are queued.
  int backpressure_threshold = 1000;
  // BACKPRESSURE_THRESHOLD_BYTES: a connection also stops reading while its queued
  // requests hold this many bytes (one frame larger than this is still read alone).
  std::int64_t backpressure_threshold_bytes = 100 * 1024 * 1024;
  // REQUEST_BUFFER_BUDGET_BYTES: bytes all connections together may hold in request
  // buffers; a connection whose next frame does not fit waits before reading it. Must
  // be at least MAX_REQUEST_BYTES so every valid frame can eventually be read.
  std::int64_t request_buffer_budget_bytes = 512 * 1024 * 1024;

  // ---- TLS (a TLS listener beside the plaintext one) ----
  // TLS_BIND_ADDRESS: host:port of the TLS listener, e.g. 0.0.0.0:9093; unset means
  // no TLS listener. Needs TLS_CERT_PATH and TLS_KEY_PATH.
  std::optional<HostPort> tls_bind_address{};
  // TLS_CERT_PATH: PEM file with the server certificate (chain).
  std::string tls_cert_path{};
  // TLS_KEY_PATH: PEM file with the server's private key.
  std::string tls_key_path{};
  // TLS_CA_PATH: PEM file with the CA certificates client certificates are checked against.
  std::string tls_ca_path{};
  // TLS_REQUIRE_CLIENT_CERT: refuse TLS clients without a certificate signed by
  // TLS_CA_PATH (mutual TLS). Needs TLS_CA_PATH.
  bool tls_require_client_cert = false;
  // TLS_MIN_VERSION: oldest protocol version accepted, 1.2 or 1.3.
  TlsVersion tls_min_version = TlsVersion::tls1_2;
  // TLS_CIPHERS: OpenSSL cipher list for TLS 1.2 (e.g. "ECDHE+AESGCM"); empty keeps
  // OpenSSL's default. TLS 1.3 suites are OpenSSL's defaults.
  std::string tls_ciphers{};

  // ---- Shutdown and logging ----
  // SHUTDOWN_TIMEOUT_SECS: after SIGTERM/SIGINT, how long in-flight requests may take to
  // be answered before connections are closed anyway.
  int shutdown_timeout_secs = 30;
  // WEIR_LOG_LEVEL: debug, info, warn or error.
  std::string log_level = "info";
  // LOG_FORMAT: text (key=value) or json, one event per line on stderr.
  LogFormat log_format = LogFormat::text;

  // ---- Storage ----
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
  // RETENTION_CHECK_INTERVAL_MS: how often retention.ms and retention.bytes are applied
  // (Kafka's log.retention.check.interval.ms); 0 turns retention off.
  std::int64_t retention_check_interval_ms = 300000;
  // TLS_ADVERTISED_ADDRESS: host:port put in Metadata for clients of the TLS listener, so
  // they reconnect over TLS. Defaults to ADVERTISED_ADDRESS's host with the TLS port.
  std::optional<HostPort> tls_advertised_address{};

  // ---- Producers ----
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

  // ---- Consumer groups ----
  // GROUP_MIN_SESSION_TIMEOUT_MS: the shortest session timeout a group member may ask
  // for (Kafka's group.min.session.timeout.ms).
  std::int32_t group_min_session_timeout_ms = 6000;
  // GROUP_MAX_SESSION_TIMEOUT_MS: the longest session timeout a group member may ask for
  // (Kafka's group.max.session.timeout.ms).
  std::int32_t group_max_session_timeout_ms = 1800000;
  // GROUP_INITIAL_REBALANCE_DELAY_MS: how long the first rebalance of an empty group waits
  // for more members to arrive (Kafka's group.initial.rebalance.delay.ms).
  std::int32_t group_initial_rebalance_delay_ms = 3000;
  // OFFSETS_RETENTION_MINUTES: committed offsets of a group expire once it has been Empty
  // this long (KIP-211; Kafka's offsets.retention.minutes). 0 expires them at the next check;
  // at most 100 years, so the steady clock's deadlines cannot overflow.
  std::int32_t offsets_retention_minutes = 10080;
  // OFFSETS_RETENTION_CHECK_INTERVAL_MS: how often expired offsets are looked for
  // (Kafka's offsets.retention.check.interval.ms).
  std::int64_t offsets_retention_check_interval_ms = 600000;

  // ---- Metrics ----
  // METRICS_PER_PARTITION: also export records and bytes produced and fetched by topic
  // and partition. Off by default: one series per partition can be a lot of series.
  bool metrics_per_partition = false;
};

// Builds the configuration from defaults and the environment. On a bad value returns
// false and fills `error` with "SETTING: reason".
bool load_config(Config* config, std::string* error);

// Parses "host:port" (IPv6 as "[::1]:9092"); false on anything else.
bool parse_host_port(const std::string& text, HostPort* out);

}  // namespace weir
