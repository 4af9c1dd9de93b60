// Builds the effective configuration from its sources, lowest precedence first:
// built-in defaults (Config's initialisers), a TOML file, environment variables,
// command-line flags. Every source goes through the same parser per setting (see
// config_settings.h), then cross-setting checks run on the result.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/config.h"
#include "server/config_settings.h"

namespace weir {

struct ConfigInputs {
  // TOML file given with --config; keys are the settings' keys, all at the top level.
  std::optional<std::string> file_path;
  // Flags given on the command line: (setting key, text), in command-line order.
  std::vector<std::pair<std::string, std::string>> flags;
};

struct LoadedConfig {
  Config config;
  // Where each setting's value came from, parallel to all_settings().
  std::vector<SettingSource> sources;
};

// False with `error` = "<setting>: <reason>" on an unreadable file, an unknown TOML key,
// a bad value, or settings that contradict each other.
bool load_config(const ConfigInputs& inputs, LoadedConfig* loaded, std::string* error);

}  // namespace weir
