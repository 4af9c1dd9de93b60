// The table of configuration settings: each setting described once (environment
// variable, TOML key, flag, description, parser, formatter). Loading, --help,
// --print-config and docs/configuration.md are all produced from this table, so a new
// setting is a field in Config plus one entry in config_settings.cc.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"
#include "server/config_values.h"

namespace weir {

enum class SettingSource { default_value, file, environment, flag };
// "default", "file", "env" or "flag".
std::string_view source_name(SettingSource source);

// How a value is written in TOML, so --print-config output is itself a valid config file.
enum class SettingKind { integer, boolean, text };

struct Setting {
  std::string_view environment_variable;  // MAX_CONNECTIONS
  std::string_view key;                   // TOML key: max_connections
  std::string_view value_hint;            // for --help: "1..1000000", "host:port"
  std::string_view description;
  SettingKind kind;
  // Parses `text` into its field of `config`; the reason on a bad value.
  std::function<config_values::Rejection(std::string_view text, Config& config)> parse;
  // The field's value as text that `parse` accepts ("" for an unset optional).
  std::function<std::string(const Config& config)> format;

  // The command-line flag: "--" and the key with '-' for '_'.
  std::string flag() const;
};

// Every setting, in the order of Config's fields.
const std::vector<Setting>& all_settings();
// nullptr when no setting has this TOML key.
const Setting* find_setting_by_key(std::string_view key);

}  // namespace weir
