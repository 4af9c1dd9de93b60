#include "server/config_loader.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <toml++/toml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace weir {
namespace {

using config_values::Rejection;

// Applies one source's text for a setting; `label` names the setting as that source
// spells it, so the message points at what the operator wrote.
bool apply(const Setting& setting, std::size_t index, std::string_view text, SettingSource source,
           std::string_view label, LoadedConfig* loaded, std::string* error) {
  if (auto rejection = setting.parse(text, loaded->config)) {
    *error = fmt::format("{}: {}", label, *rejection);
    return false;
  }
  loaded->sources[index] = source;
  return true;
}

// TOML scalars are turned into the text the environment would carry, so one parser
// per setting serves every source. Arrays of strings join with commas (allow lists).
std::optional<std::string> toml_value_as_text(const toml::node& node) {
  if (auto text = node.value<std::string>(); text && node.is_string()) return *text;
  if (node.is_integer()) return fmt::format("{}", node.as_integer()->get());
  if (node.is_boolean()) return std::string(node.as_boolean()->get() ? "true" : "false");
  if (const auto* array = node.as_array()) {
    std::string joined;
    for (const auto& item : *array) {
      if (!item.is_string()) return std::nullopt;
      if (!joined.empty()) joined += ',';
      joined += item.as_string()->get();
    }
    return joined;
  }
  return std::nullopt;
}

std::size_t index_of(const Setting* setting) {
  return static_cast<std::size_t>(setting - all_settings().data());
}

bool apply_file(const std::string& path, LoadedConfig* loaded, std::string* error) {
  std::ifstream probe(path);
  if (!probe) {
    *error = fmt::format("--config: cannot read '{}': {}", path, std::strerror(errno));
    return false;
  }
  // A folder opens as a stream on Linux but reads as nothing useful.
  if (std::error_code ignored; std::filesystem::is_directory(path, ignored)) {
    *error = fmt::format("--config: cannot read '{}': it is a folder", path);
    return false;
  }
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& parse_error) {
    const auto& begin = parse_error.source().begin;
    *error = fmt::format("--config: '{}' is not valid TOML (line {}, column {}): {}", path,
                         begin.line, begin.column, parse_error.description());
    return false;
  }
  for (const auto& [key, node] : table) {
    const Setting* setting = find_setting_by_key(key.str());
    std::string label = fmt::format("{} in {}", key.str(), path);
    if (setting == nullptr) {
      *error = fmt::format("{}: unknown setting (see weir --help)", label);
      return false;
    }
    auto text = toml_value_as_text(node);
    if (!text) {
      *error = fmt::format("{}: expected a string, integer, boolean or array of strings", label);
      return false;
    }
    if (!apply(*setting, index_of(setting), *text, SettingSource::file, label, loaded, error))
      return false;
  }
  return true;
}

bool apply_environment(LoadedConfig* loaded, std::string* error) {
  const auto& settings = all_settings();
  for (std::size_t i = 0; i < settings.size(); ++i) {
    const char* value = std::getenv(std::string(settings[i].environment_variable).c_str());
    if (value == nullptr) continue;
    if (!apply(settings[i], i, value, SettingSource::environment, settings[i].environment_variable,
               loaded, error))
      return false;
  }
  return true;
}

bool apply_flags(const ConfigInputs& inputs, LoadedConfig* loaded, std::string* error) {
  for (const auto& [key, text] : inputs.flags) {
    const Setting* setting = find_setting_by_key(key);
    if (setting == nullptr) {
      *error = fmt::format("--{}: unknown setting", key);
      return false;
    }
    if (!apply(*setting, index_of(setting), text, SettingSource::flag, setting->flag(), loaded,
               error))
      return false;
  }
  return true;
}

Rejection check_readable(std::string_view path) {
  std::ifstream file{std::string(path)};
  if (!file) return fmt::format("cannot read '{}': {}", path, std::strerror(errno));
  return std::nullopt;
}

Rejection check_cipher_list(const std::string& ciphers) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_server_method()),
                                                            SSL_CTX_free);
  if (context && SSL_CTX_set_cipher_list(context.get(), ciphers.c_str()) == 1) return std::nullopt;
  return fmt::format("'{}' selects no cipher OpenSSL knows", ciphers);
}

// Checks between settings, after every source has been applied.
bool check_consistency(Config& config, std::string* error) {
  auto fail = [&](std::string_view setting, std::string_view reason) {
    *error = fmt::format("{}: {}", setting, reason);
    return false;
  };
  if (config.request_buffer_budget_bytes < config.max_request_bytes)
    return fail(
        "REQUEST_BUFFER_BUDGET_BYTES",
        fmt::format(
            "{} is less than MAX_REQUEST_BYTES ({}), so a largest frame could never be read",
            config.request_buffer_budget_bytes, config.max_request_bytes));
  if (!config.tls_ciphers.empty())
    if (auto rejection = check_cipher_list(config.tls_ciphers))
      return fail("TLS_CIPHERS", *rejection);
  if (config.tls_bind_address) {
    if (config.tls_cert_path.empty())
      return fail("TLS_CERT_PATH", "must be set when TLS_BIND_ADDRESS is");
    if (config.tls_key_path.empty())
      return fail("TLS_KEY_PATH", "must be set when TLS_BIND_ADDRESS is");
    if (config.tls_require_client_cert && config.tls_ca_path.empty())
      return fail("TLS_CA_PATH", "must be set when TLS_REQUIRE_CLIENT_CERT is true");
    if (auto rejection = check_readable(config.tls_cert_path))
      return fail("TLS_CERT_PATH", *rejection);
    if (auto rejection = check_readable(config.tls_key_path))
      return fail("TLS_KEY_PATH", *rejection);
    if (!config.tls_ca_path.empty())
      if (auto rejection = check_readable(config.tls_ca_path))
        return fail("TLS_CA_PATH", *rejection);
  }
  if (config.group_min_session_timeout_ms > config.group_max_session_timeout_ms)
    return fail("GROUP_MIN_SESSION_TIMEOUT_MS", "is larger than GROUP_MAX_SESSION_TIMEOUT_MS");
  if (config.advertised_address.host.empty()) {
    config.advertised_address = config.bind_address;
    if (config.advertised_address.host == "0.0.0.0" || config.advertised_address.host == "::")
      config.advertised_address.host = "127.0.0.1";
  }
  return true;
}

}  // namespace

bool load_config(const ConfigInputs& inputs, LoadedConfig* loaded, std::string* error) {
  loaded->config = Config{};
  loaded->sources.assign(all_settings().size(), SettingSource::default_value);
  if (inputs.file_path && !apply_file(*inputs.file_path, loaded, error)) return false;
  if (!apply_environment(loaded, error)) return false;
  if (!apply_flags(inputs, loaded, error)) return false;
  return check_consistency(loaded->config, error);
}

}  // namespace weir
