#include <catch2/catch.hpp>
#include <set>

#include "server/config_settings.h"

using namespace weir;

TEST_CASE("every setting has a unique environment variable, key and flag") {
  std::set<std::string_view> environment_variables;
  std::set<std::string_view> keys;
  for (const auto& setting : all_settings()) {
    CHECK(environment_variables.insert(setting.environment_variable).second);
    CHECK(keys.insert(setting.key).second);
    CHECK_FALSE(setting.description.empty());
    CHECK(setting.flag().rfind("--", 0) == 0);
  }
}

TEST_CASE("every default survives formatting and parsing back") {
  const Config defaults;
  for (const auto& setting : all_settings()) {
    INFO(setting.environment_variable);
    Config config;
    std::string text = setting.format(defaults);
    CHECK_FALSE(setting.parse(text, config));
    CHECK(setting.format(config) == text);
  }
}

TEST_CASE("the table knows every setting the operations design names") {
  for (std::string_view name : {"BIND_ADDRESS",
                                "ADVERTISED_ADDRESS",
                                "STORAGE_PATH",
                                "METRICS_BIND_ADDRESS",
                                "MAX_CONNECTIONS",
                                "MAX_CONNECTIONS_PER_IP",
                                "CONNECTION_RATE_LIMIT",
                                "RATE_LIMIT_BAN_SECS",
                                "CONNECTION_ALLOW_LIST",
                                "IDLE_TIMEOUT_SECS",
                                "REQUEST_TIMEOUT_SECS",
                                "BACKPRESSURE_THRESHOLD",
                                "BACKPRESSURE_THRESHOLD_BYTES",
                                "REQUEST_BUFFER_BUDGET_BYTES",
                                "TLS_BIND_ADDRESS",
                                "TLS_CERT_PATH",
                                "TLS_KEY_PATH",
                                "TLS_CA_PATH",
                                "TLS_REQUIRE_CLIENT_CERT",
                                "TLS_MIN_VERSION",
                                "TLS_CIPHERS",
                                "SHUTDOWN_TIMEOUT_SECS",
                                "WEIR_LOG_LEVEL",
                                "LOG_FORMAT"}) {
    INFO(name);
    bool found = false;
    for (const auto& setting : all_settings())
      found = found || setting.environment_variable == name;
    CHECK(found);
  }
}

TEST_CASE("a setting's parser writes its own field only") {
  Config config;
  const Setting* setting = find_setting_by_key("max_connections_per_ip");
  REQUIRE(setting != nullptr);
  CHECK_FALSE(setting->parse("7", config));
  CHECK(config.max_connections_per_ip == 7);
  CHECK(config.max_connections == Config{}.max_connections);
  CHECK(setting->parse("0", config));
  CHECK(config.max_connections_per_ip == 7);
}

TEST_CASE("an empty value turns an optional listener off") {
  Config config;
  const Setting* setting = find_setting_by_key("tls_bind_address");
  REQUIRE(setting != nullptr);
  CHECK_FALSE(setting->parse("127.0.0.1:9093", config));
  REQUIRE(config.tls_bind_address.has_value());
  CHECK(config.tls_bind_address->port == 9093);
  CHECK_FALSE(setting->parse("", config));
  CHECK_FALSE(config.tls_bind_address.has_value());
}

TEST_CASE("unknown keys are not found") { CHECK(find_setting_by_key("max_connection") == nullptr); }
