#include "server/config.h"

#include "server/config_loader.h"
#include "server/config_values.h"

namespace weir {

bool load_config(Config* config, std::string* error) {
  LoadedConfig loaded;
  if (!load_config(ConfigInputs{}, &loaded, error)) return false;
  *config = std::move(loaded.config);
  return true;
}

bool parse_host_port(const std::string& text, HostPort* out) {
  return !config_values::parse_host_port(text, out).has_value();
}

}  // namespace weir
