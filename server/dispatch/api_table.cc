#include "server/dispatch/api_table.h"

#include <array>

#include "server/handlers/handlers.h"
#include "server/handlers/on_storage_thread.h"

namespace weir {
namespace {

// Minimum versions: Produce v3 and Fetch v4 are the first with record batches (magic 2),
// the only format we store. Everything else starts at v0 because librdkafka turns features
// off when a low version is missing (see docs/compatibility.md). Handlers that write
// RocksDB synchronously run on a storage thread (on_storage_thread.h).
// clang-format off
constexpr std::array served = {
    ApiEntry{0, 3, 11, handlers::produce},                                                 // Produce
    ApiEntry{1, 4, 17, handlers::fetch},                                                   // Fetch
    ApiEntry{2, 0, 10, handlers::list_offsets},                                            // ListOffsets
    ApiEntry{3, 0, 12, handlers::on_storage_thread<handlers::metadata>},                   // Metadata
    ApiEntry{18, 0, 4, handlers::api_versions},                                            // ApiVersions
    ApiEntry{19, 0, 7, handlers::on_storage_thread<handlers::create_topics>},              // CreateTopics
    ApiEntry{20, 0, 6, handlers::delete_topics},                                           // DeleteTopics
    ApiEntry{21, 0, 2, handlers::delete_records},                                          // DeleteRecords
    ApiEntry{22, 0, 5, handlers::on_storage_thread<handlers::init_producer_id>},           // InitProducerId
    ApiEntry{32, 0, 4, handlers::describe_configs},                                        // DescribeConfigs
    ApiEntry{33, 0, 2, handlers::on_storage_thread<handlers::alter_configs>},              // AlterConfigs
    ApiEntry{35, 0, 4, handlers::on_storage_thread<handlers::describe_log_dirs>},          // DescribeLogDirs
    ApiEntry{37, 0, 3, handlers::on_storage_thread<handlers::create_partitions>},          // CreatePartitions
    ApiEntry{44, 0, 1, handlers::on_storage_thread<handlers::incremental_alter_configs>},  // IncrementalAlterConfigs
    ApiEntry{60, 0, 1, handlers::describe_cluster},                                        // DescribeCluster
};
// clang-format on

}  // namespace

std::span<const ApiEntry> served_apis() { return served; }

const ApiEntry* find_served_api(std::int16_t api_key) {
  for (const ApiEntry& entry : served)
    if (entry.api_key == api_key) return &entry;
  return nullptr;
}

}  // namespace weir
