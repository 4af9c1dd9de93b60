#include "server/config_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "server/log.h"

namespace weir {
namespace {

using config_values::Rejection;

constexpr std::int64_t one_year_secs = 365LL * 24 * 3600;
constexpr std::int64_t one_tebibyte = 1LL << 40;

template <typename Field>
Setting integer_setting(std::string_view environment_variable, std::string_view key,
                        Field Config::*field, std::int64_t min, std::int64_t max,
                        std::string_view value_hint, std::string_view description) {
  return Setting{environment_variable,
                 key,
                 value_hint,
                 description,
                 SettingKind::integer,
                 [field, min, max](std::string_view text, Config& config) -> Rejection {
                   std::int64_t value = 0;
                   if (auto rejection = config_values::parse_integer(text, min, max, &value))
                     return rejection;
                   config.*field = static_cast<Field>(value);
                   return std::nullopt;
                 },
                 [field](const Config& config) { return fmt::format("{}", config.*field); }};
}

Setting bool_setting(std::string_view environment_variable, std::string_view key,
                     bool Config::*field, std::string_view description) {
  return Setting{
      environment_variable,
      key,
      "true|false",
      description,
      SettingKind::boolean,
      [field](std::string_view text, Config& config) {
        return config_values::parse_bool(text, &(config.*field));
      },
      [field](const Config& config) { return std::string(config.*field ? "true" : "false"); }};
}

Setting text_setting(std::string_view environment_variable, std::string_view key,
                     std::string Config::*field, bool may_be_empty, std::string_view value_hint,
                     std::string_view description) {
  return Setting{environment_variable,
                 key,
                 value_hint,
                 description,
                 SettingKind::text,
                 [field, may_be_empty](std::string_view text, Config& config) -> Rejection {
                   if (text.empty() && !may_be_empty) return "must not be empty";
                   config.*field = std::string(text);
                   return std::nullopt;
                 },
                 [field](const Config& config) { return config.*field; }};
}

Setting host_port_setting(std::string_view environment_variable, std::string_view key,
                          HostPort Config::*field, std::string_view description) {
  return Setting{environment_variable,
                 key,
                 "host:port",
                 description,
                 SettingKind::text,
                 [field](std::string_view text, Config& config) {
                   return config_values::parse_host_port(text, &(config.*field));
                 },
                 [field](const Config& config) {
                   const HostPort& value = config.*field;
                   return value.host.empty() ? std::string()
                                             : config_values::format_host_port(value);
                 }};
}

// An empty text unsets the address, turning its listener off.
Setting optional_host_port_setting(std::string_view environment_variable, std::string_view key,
                                   std::optional<HostPort> Config::*field,
                                   std::string_view description) {
  return Setting{environment_variable,
                 key,
                 "host:port or empty",
                 description,
                 SettingKind::text,
                 [field](std::string_view text, Config& config) -> Rejection {
                   if (text.empty()) {
                     (config.*field).reset();
                     return std::nullopt;
                   }
                   HostPort value;
                   if (auto rejection = config_values::parse_host_port(text, &value))
                     return rejection;
                   config.*field = value;
                   return std::nullopt;
                 },
                 [field](const Config& config) {
                   const auto& value = config.*field;
                   return value ? config_values::format_host_port(*value) : std::string();
                 }};
}

std::vector<Setting> build_settings() {
  std::vector<Setting> settings;
  settings.push_back(host_port_setting("BIND_ADDRESS", "bind_address", &Config::bind_address,
                                       "host:port the plaintext Kafka listener binds to"));
  settings.push_back(
      Setting{"ADVERTISED_ADDRESS", "advertised_address", "host:port or empty",
              "host:port put in Metadata for clients to connect to; empty means the bind address "
              "(127.0.0.1 when that is a wildcard)",
              SettingKind::text,
              [](std::string_view text, Config& config) -> Rejection {
                if (text.empty()) {
                  config.advertised_address = {};
                  return std::nullopt;
                }
                HostPort value;
                if (auto rejection = config_values::parse_host_port(text, &value)) return rejection;
                if (value.port == 0) return fmt::format("'{}' needs a non-zero port", text);
                config.advertised_address = value;
                return std::nullopt;
              },
              [](const Config& config) {
                return config.advertised_address.host.empty()
                           ? std::string()
                           : config_values::format_host_port(config.advertised_address);
              }});
  settings.push_back(integer_setting("NODE_ID", "node_id", &Config::node_id, 0, INT32_MAX,
                                     "0..2147483647", "this broker's id in Metadata"));
  settings.push_back(optional_host_port_setting(
      "METRICS_BIND_ADDRESS", "metrics_bind_address", &Config::metrics_bind_address,
      "host:port of the Prometheus /metrics, /health and /ready "
      "endpoint; empty turns it off"));
  settings.push_back(text_setting("STORAGE_PATH", "storage_path", &Config::storage_path, false,
                                  "path",
                                  "folder holding the RocksDB database (created if missing)"));
  settings.push_back(bool_setting(
      "AUTO_CREATE_TOPICS", "auto_create_topics", &Config::auto_create_topics,
      "create unknown topics on Metadata requests (Kafka's auto.create.topics.enable)"));
  settings.push_back(integer_setting("DEFAULT_PARTITIONS", "default_partitions",
                                     &Config::default_partitions, 1, 100000, "1..100000",
                                     "partitions of an auto-created topic"));
  settings.push_back(integer_setting(
      "MAX_REQUEST_BYTES", "max_request_bytes", &Config::max_request_bytes, 1024, INT32_MAX,
      "1024..2147483647", "largest request frame accepted; a larger one closes the connection"));
  settings.push_back(integer_setting("NETWORK_THREADS", "network_threads", &Config::network_threads,
                                     0, 256, "0..256",
                                     "threads running connections; 0 means one per core"));
  settings.push_back(integer_setting("MAX_CONNECTIONS", "max_connections", &Config::max_connections,
                                     1, 1000000, "1..1000000",
                                     "open client connections across all listeners"));
  settings.push_back(integer_setting("MAX_CONNECTIONS_PER_IP", "max_connections_per_ip",
                                     &Config::max_connections_per_ip, 1, 1000000, "1..1000000",
                                     "open connections from one peer address"));
  settings.push_back(
      integer_setting("CONNECTION_RATE_LIMIT", "connection_rate_limit",
                      &Config::connection_rate_limit, 0, 1000000, "0..1000000",
                      "new connections per second from one peer address before it is banned; 0 "
                      "turns the limit off"));
  settings.push_back(integer_setting(
      "RATE_LIMIT_BAN_SECS", "rate_limit_ban_secs", &Config::rate_limit_ban_secs, 0, one_year_secs,
      "seconds", "how long an address that broke the connection rate limit is refused"));
  settings.push_back(Setting{
      "CONNECTION_ALLOW_LIST", "connection_allow_list", "IP/CIDR list",
      "comma-separated addresses or CIDR networks exempt from the per-IP limits and the ban",
      SettingKind::text,
      [](std::string_view text, Config& config) {
        return config_values::parse_ip_network_list(text, &config.connection_allow_list);
      },
      [](const Config& config) {
        return config_values::format_ip_network_list(config.connection_allow_list);
      }});
  settings.push_back(integer_setting("IDLE_TIMEOUT_SECS", "idle_timeout_secs",
                                     &Config::idle_timeout_secs, 1, one_year_secs, "seconds",
                                     "a connection silent for this long is closed"));
  settings.push_back(
      integer_setting("REQUEST_TIMEOUT_SECS", "request_timeout_secs", &Config::request_timeout_secs,
                      1, 86400, "seconds",
                      "longest time a started frame may take to arrive, and a request may stay "
                      "in flight (a fetch long poll is answered within half of it)"));
  settings.push_back(integer_setting("BACKPRESSURE_THRESHOLD", "backpressure_threshold",
                                     &Config::backpressure_threshold, 1, 1000000, "1..1000000",
                                     "queued requests at which a connection stops reading"));
  settings.push_back(integer_setting("BACKPRESSURE_THRESHOLD_BYTES", "backpressure_threshold_bytes",
                                     &Config::backpressure_threshold_bytes, 1024, one_tebibyte,
                                     "bytes",
                                     "queued request bytes at which a connection stops reading"));
  settings.push_back(
      integer_setting("REQUEST_BUFFER_BUDGET_BYTES", "request_buffer_budget_bytes",
                      &Config::request_buffer_budget_bytes, 1024, one_tebibyte, "bytes",
                      "bytes all connections together may hold in request buffers; at least "
                      "MAX_REQUEST_BYTES"));
  settings.push_back(
      optional_host_port_setting("TLS_BIND_ADDRESS", "tls_bind_address", &Config::tls_bind_address,
                                 "host:port of the TLS listener (e.g. 0.0.0.0:9093); empty turns "
                                 "it off"));
  settings.push_back(text_setting("TLS_CERT_PATH", "tls_cert_path", &Config::tls_cert_path, true,
                                  "path", "PEM file with the server certificate chain"));
  settings.push_back(text_setting("TLS_KEY_PATH", "tls_key_path", &Config::tls_key_path, true,
                                  "path", "PEM file with the server's private key"));
  settings.push_back(
      text_setting("TLS_CA_PATH", "tls_ca_path", &Config::tls_ca_path, true, "path",
                   "PEM file with the CAs that client certificates are checked against"));
  settings.push_back(bool_setting(
      "TLS_REQUIRE_CLIENT_CERT", "tls_require_client_cert", &Config::tls_require_client_cert,
      "refuse TLS clients without a certificate signed by TLS_CA_PATH"));
  settings.push_back(
      Setting{"TLS_MIN_VERSION", "tls_min_version", "1.2|1.3", "oldest TLS version accepted",
              SettingKind::text,
              [](std::string_view text, Config& config) {
                return config_values::parse_tls_version(text, &config.tls_min_version);
              },
              [](const Config& config) {
                return std::string(config_values::format_tls_version(config.tls_min_version));
              }});
  settings.push_back(
      text_setting("TLS_CIPHERS", "tls_ciphers", &Config::tls_ciphers, true, "OpenSSL cipher list",
                   "OpenSSL cipher list for TLS 1.2; empty keeps OpenSSL's default"));
  settings.push_back(integer_setting(
      "SHUTDOWN_TIMEOUT_SECS", "shutdown_timeout_secs", &Config::shutdown_timeout_secs, 0, 3600,
      "seconds", "after SIGTERM/SIGINT, how long in-flight requests may take to be answered"));
  settings.push_back(Setting{"WEIR_LOG_LEVEL", "log_level", "debug|info|warn|error",
                             "lowest level of log events written", SettingKind::text,
                             [](std::string_view text, Config& config) -> Rejection {
                               log::Level level;
                               if (!log::parse_level(text, &level))
                                 return fmt::format("'{}' is not debug, info, warn or error", text);
                               config.log_level = std::string(text);
                               return std::nullopt;
                             },
                             [](const Config& config) { return config.log_level; }});
  settings.push_back(Setting{"LOG_FORMAT", "log_format", "text|json",
                             "log lines as key=value text or as JSON objects", SettingKind::text,
                             [](std::string_view text, Config& config) {
                               return config_values::parse_log_format(text, &config.log_format);
                             },
                             [](const Config& config) {
                               return std::string(
                                   config_values::format_log_format(config.log_format));
                             }});
  settings.push_back(Setting{
      "DURABILITY", "durability", "acks|always|interval",
      "when the WAL is fsynced: acks=all replies after the fsync (acks), every write (always), or "
      "every FLUSH_INTERVAL_MS (interval)",
      SettingKind::text,
      [](std::string_view text, Config& config) -> Rejection {
        if (text != "acks" && text != "always" && text != "interval")
          return fmt::format("'{}' is not acks, always or interval", text);
        config.durability = std::string(text);
        return std::nullopt;
      },
      [](const Config& config) { return config.durability; }});
  settings.push_back(
      integer_setting("FLUSH_INTERVAL_MS", "flush_interval_ms", &Config::flush_interval_ms, 1,
                      86400000, "1..86400000",
                      "with DURABILITY=interval, the longest time an acknowledged write stays "
                      "unsynced (Kafka's flush.ms)"));
  settings.push_back(integer_setting(
      "TAIL_CACHE_BYTES", "tail_cache_bytes", &Config::tail_cache_bytes, 0, one_tebibyte, "bytes",
      "memory for recently written batches served to fetches without reading "
      "RocksDB; 0 turns it off"));
  // At most a year: longer waits overflow the clocks' nanosecond counts.
  settings.push_back(
      integer_setting("RETENTION_CHECK_INTERVAL_MS", "retention_check_interval_ms",
                      &Config::retention_check_interval_ms, 0, 31536000000, "0..31536000000",
                      "how often retention.ms and retention.bytes are applied (Kafka's "
                      "log.retention.check.interval.ms); 0 turns retention off"));
  settings.push_back(optional_host_port_setting(
      "TLS_ADVERTISED_ADDRESS", "tls_advertised_address", &Config::tls_advertised_address,
      "host:port put in Metadata for clients of the TLS listener; empty "
      "means ADVERTISED_ADDRESS's host with the TLS listener's port"));
  settings.push_back(
      integer_setting("PRODUCER_ID_EXPIRATION_MS", "producer_id_expiration_ms",
                      &Config::producer_id_expiration_ms, 1, 31536000000, "1..31536000000",
                      "an idempotent producer's state in a partition is dropped after this long "
                      "without an append there (Kafka's producer.id.expiration.ms)"));
  settings.push_back(
      integer_setting("MAX_MESSAGE_BYTES", "max_message_bytes", &Config::max_message_bytes, 0,
                      INT32_MAX, "0..2147483647",
                      "largest record batch of a topic without max.message.bytes (Kafka's "
                      "message.max.bytes)"));
  settings.push_back(
      bool_setting("VALIDATE_COMPRESSED_BATCHES", "validate_compressed_batches",
                   &Config::validate_compressed_batches,
                   "decompress every compressed batch and check its records before storing it, "
                   "as Kafka does"));
  settings.push_back(integer_setting("GROUP_MIN_SESSION_TIMEOUT_MS", "group_min_session_timeout_ms",
                                     &Config::group_min_session_timeout_ms, 1, INT32_MAX,
                                     "1..2147483647",
                                     "shortest session timeout a group member may ask for (Kafka's "
                                     "group.min.session.timeout.ms)"));
  settings.push_back(integer_setting("GROUP_MAX_SESSION_TIMEOUT_MS", "group_max_session_timeout_ms",
                                     &Config::group_max_session_timeout_ms, 1, INT32_MAX,
                                     "1..2147483647",
                                     "longest session timeout a group member may ask for (Kafka's "
                                     "group.max.session.timeout.ms)"));
  settings.push_back(
      integer_setting("GROUP_INITIAL_REBALANCE_DELAY_MS", "group_initial_rebalance_delay_ms",
                      &Config::group_initial_rebalance_delay_ms, 0, INT32_MAX, "0..2147483647",
                      "how long the first rebalance of an empty group waits for more members "
                      "(Kafka's group.initial.rebalance.delay.ms)"));
  settings.push_back(
      integer_setting("OFFSETS_RETENTION_MINUTES", "offsets_retention_minutes",
                      &Config::offsets_retention_minutes, 0, 52560000, "0..52560000",
                      "committed offsets of a group expire once it has been Empty this long; "
                      "offsets of topics a live group no longer subscribes to, this long after "
                      "their commit (Kafka's offsets.retention.minutes, KIP-211)"));
  settings.push_back(integer_setting(
      "OFFSETS_RETENTION_CHECK_INTERVAL_MS", "offsets_retention_check_interval_ms",
      &Config::offsets_retention_check_interval_ms, 1, one_year_secs * 1000, "1..31536000000",
      "how often expired committed offsets are looked for (Kafka's "
      "offsets.retention.check.interval.ms)"));
  settings.push_back(
      bool_setting("METRICS_PER_PARTITION", "metrics_per_partition", &Config::metrics_per_partition,
                   "also export records and bytes produced and fetched by topic and partition "
                   "(one series per partition)"));
  return settings;
}

}  // namespace

std::string_view source_name(SettingSource source) {
  switch (source) {
    case SettingSource::default_value:
      return "default";
    case SettingSource::file:
      return "file";
    case SettingSource::environment:
      return "env";
    case SettingSource::flag:
      return "flag";
  }
  return "?";
}

std::string Setting::flag() const {
  std::string flag = "--" + std::string(key);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

const std::vector<Setting>& all_settings() {
  static const std::vector<Setting> settings = build_settings();
  return settings;
}

const Setting* find_setting_by_key(std::string_view key) {
  for (const auto& setting : all_settings())
    if (setting.key == key) return &setting;
  return nullptr;
}

}  // namespace weir
