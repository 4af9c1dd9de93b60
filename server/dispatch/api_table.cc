#include "server/dispatch/api_table.h"

#include <array>

#include "server/handlers/handlers.h"

namespace weir {
namespace {

// Minimum versions: Produce v3 and Fetch v4 are the first with record batches (magic 2),
// the only format we store. ListOffsets v0 has a different, deprecated shape that no
// current client uses. Everything else starts at v0 because librdkafka turns features
// off when a low version is missing (see docs/compatibility.md).
constexpr std::array served = {
    ApiEntry{0, 3, 11, handlers::produce},          // Produce
    ApiEntry{1, 4, 17, handlers::fetch},            // Fetch
    ApiEntry{2, 1, 10, handlers::list_offsets},     // ListOffsets
    ApiEntry{3, 0, 12, handlers::metadata},         // Metadata
    ApiEntry{18, 0, 4, handlers::api_versions},     // ApiVersions
    ApiEntry{19, 0, 7, handlers::create_topics},    // CreateTopics
    ApiEntry{22, 0, 5, handlers::init_producer_id}, // InitProducerId
};

}  // namespace

std::span<const ApiEntry> served_apis() { return served; }

const ApiEntry* find_served_api(std::int16_t api_key) {
  for (const ApiEntry& entry : served)
    if (entry.api_key == api_key) return &entry;
  return nullptr;
}

}  // namespace weir
