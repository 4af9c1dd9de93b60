#include "server/config.h"

#include <charconv>
#include <cstdlib>
#include <fmt/format.h>
#include <optional>
#include <string_view>

#include "server/log.h"

namespace weir {
namespace {

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

template <typename Integer>
bool parse_integer(const std::string& text, Integer min, Integer max, Integer* out) {
  Integer value{};
  auto [end, errc] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (errc != std::errc() || end != text.data() + text.size()) return false;
  if (value < min || value > max) return false;
  *out = value;
  return true;
}

bool parse_bool(const std::string& text, bool* out) {
  if (text == "true" || text == "1" || text == "yes") *out = true;
  else if (text == "false" || text == "0" || text == "no") *out = false;
  else return false;
  return true;
}

// The consumer group settings (Kafka's group.* broker settings).
bool load_group_settings(Config* config, std::string* error) {
  struct Setting {
    const char* name;
    std::int32_t min;
    std::int32_t* field;
  };
  const Setting settings[] = {
      {"GROUP_MIN_SESSION_TIMEOUT_MS", 1, &config->group_min_session_timeout_ms},
      {"GROUP_MAX_SESSION_TIMEOUT_MS", 1, &config->group_max_session_timeout_ms},
      {"GROUP_INITIAL_REBALANCE_DELAY_MS", 0, &config->group_initial_rebalance_delay_ms},
  };
  for (const auto& setting : settings) {
    auto value = environment(setting.name);
    if (value && !parse_integer<std::int32_t>(*value, setting.min, INT32_MAX, setting.field)) {
      *error = fmt::format("{}: '{}' is not an integer from {} to {}", setting.name, *value, setting.min, INT32_MAX);
      return false;
    }
  }
  if (config->group_min_session_timeout_ms > config->group_max_session_timeout_ms) {
    *error = "GROUP_MIN_SESSION_TIMEOUT_MS: larger than GROUP_MAX_SESSION_TIMEOUT_MS";
    return false;
  }
  return true;
}

}  // namespace

bool parse_host_port(const std::string& text, HostPort* out) {
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  std::uint16_t port_number = 0;
  if (host.empty() || !parse_integer<std::uint16_t>(port, 0, 65535, &port_number)) return false;
  out->host = host;
  out->port = port_number;
  return true;
}

bool load_config(Config* config, std::string* error) {
  auto fail = [&](std::string_view setting, std::string_view reason) {
    *error = fmt::format("{}: {}", setting, reason);
    return false;
  };
  if (auto value = environment("BIND_ADDRESS")) {
    if (!parse_host_port(*value, &config->bind_address))
      return fail("BIND_ADDRESS", fmt::format("'{}' is not host:port", *value));
  }
  if (auto value = environment("ADVERTISED_ADDRESS")) {
    if (!parse_host_port(*value, &config->advertised_address) || config->advertised_address.port == 0)
      return fail("ADVERTISED_ADDRESS", fmt::format("'{}' is not host:port with a non-zero port", *value));
  }
  if (auto value = environment("STORAGE_PATH")) {
    if (value->empty()) return fail("STORAGE_PATH", "must not be empty");
    config->storage_path = *value;
  }
  if (auto value = environment("MAX_REQUEST_BYTES")) {
    if (!parse_integer<std::int32_t>(*value, 1024, INT32_MAX, &config->max_request_bytes))
      return fail("MAX_REQUEST_BYTES", fmt::format("'{}' is not an integer from 1024 to 2147483647", *value));
  }
  if (auto value = environment("NETWORK_THREADS")) {
    if (!parse_integer<int>(*value, 0, 256, &config->network_threads))
      return fail("NETWORK_THREADS", fmt::format("'{}' is not an integer from 0 to 256", *value));
  }
  if (auto value = environment("BACKPRESSURE_THRESHOLD")) {
    if (!parse_integer<int>(*value, 1, 1000000, &config->backpressure_threshold))
      return fail("BACKPRESSURE_THRESHOLD", fmt::format("'{}' is not an integer from 1 to 1000000", *value));
  }
  if (auto value = environment("NODE_ID")) {
    if (!parse_integer<std::int32_t>(*value, 0, INT32_MAX, &config->node_id))
      return fail("NODE_ID", fmt::format("'{}' is not a non-negative integer", *value));
  }
  if (auto value = environment("AUTO_CREATE_TOPICS")) {
    if (!parse_bool(*value, &config->auto_create_topics))
      return fail("AUTO_CREATE_TOPICS", fmt::format("'{}' is not true or false", *value));
  }
  if (auto value = environment("DEFAULT_PARTITIONS")) {
    if (!parse_integer<std::int32_t>(*value, 1, 100000, &config->default_partitions))
      return fail("DEFAULT_PARTITIONS", fmt::format("'{}' is not an integer from 1 to 100000", *value));
  }
  if (auto value = environment("WEIR_LOG_LEVEL")) {
    log::Level level;
    if (!log::parse_level(*value, &level))
      return fail("WEIR_LOG_LEVEL", fmt::format("'{}' is not debug, info, warn or error", *value));
    config->log_level = *value;
  }
  if (auto value = environment("DURABILITY")) {
    if (*value != "acks" && *value != "always" && *value != "interval")
      return fail("DURABILITY", fmt::format("'{}' is not acks, always or interval", *value));
    config->durability = *value;
  }
  if (auto value = environment("FLUSH_INTERVAL_MS")) {
    if (!parse_integer<std::int64_t>(*value, 1, 86400000, &config->flush_interval_ms))
      return fail("FLUSH_INTERVAL_MS", fmt::format("'{}' is not an integer from 1 to 86400000", *value));
  }
  if (auto value = environment("TAIL_CACHE_BYTES")) {
    if (!parse_integer<std::int64_t>(*value, 0, std::int64_t{1} << 40, &config->tail_cache_bytes))
      return fail("TAIL_CACHE_BYTES", fmt::format("'{}' is not an integer from 0 to 1099511627776", *value));
  }
  if (!load_group_settings(config, error)) return false;
  if (config->advertised_address.host.empty()) {
    config->advertised_address = config->bind_address;
    if (config->advertised_address.host == "0.0.0.0" || config->advertised_address.host == "::")
      config->advertised_address.host = "127.0.0.1";
  }
  return true;
}

}  // namespace weir
