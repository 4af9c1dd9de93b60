// weir's command line: --config, one flag per setting, and the informational actions.
// Help, --print-config and the Markdown reference are rendered from the settings table
// (config_settings.h), so they cannot drift from what the loader accepts.
#pragma once

#include <string>

#include "server/config_loader.h"

namespace weir {

struct CommandLine {
  ConfigInputs inputs;
  bool help = false;
  bool print_config = false;
  bool print_config_reference = false;
};

// False with a message for an unknown flag, a flag without its value, or a stray argument.
bool parse_command_line(int argc, const char* const* argv, CommandLine* command_line,
                        std::string* error);

// --help: every setting with its flag, environment variable and default.
std::string help_text();
// --print-config: one TOML line per setting with its effective value and, as a
// comment, its source (default, file, env or flag). The output is a valid config file.
std::string effective_config_text(const LoadedConfig& loaded);
// --print-config-reference: docs/configuration.md.
std::string config_reference_markdown();

}  // namespace weir
