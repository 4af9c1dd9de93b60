// The APIs this broker serves and the versions it advertises in ApiVersions. The table
// is the single source for both routing and advertising, so we advertise exactly what
// is implemented.
#pragma once

#include <cstdint>
#include <span>

#include "server/handlers/request_context.h"

namespace weir {

struct ApiEntry {
  std::int16_t api_key;
  std::int16_t min_version;
  std::int16_t max_version;
  Handler handle;
};

std::span<const ApiEntry> served_apis();
const ApiEntry* find_served_api(std::int16_t api_key);

}  // namespace weir
