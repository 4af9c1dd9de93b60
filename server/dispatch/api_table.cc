#include "server/dispatch/api_table.h"

#include <array>

#include "server/handlers/handlers.h"
#include "server/handlers/on_storage_thread.h"

namespace weir {
namespace {

// Every API starts at v0 because librdkafka turns features off when a low version is
// missing (see docs/compatibility.md); Produce v0-2 and Fetch v0-3 carry message formats 0
// and 1, converted to and from the stored magic 2 by their handlers. Handlers that write
// RocksDB synchronously run on a storage thread (on_storage_thread.h).
// clang-format off
constexpr std::array served = {
    ApiEntry{0, 0, 11, handlers::produce},                                                 // Produce
    ApiEntry{1, 0, 17, handlers::fetch},                                                   // Fetch
    ApiEntry{2, 0, 10, handlers::list_offsets},                                            // ListOffsets
    ApiEntry{3, 0, 12, handlers::on_storage_thread<handlers::metadata>},                   // Metadata
    ApiEntry{8, 0, 9, handlers::offset_commit},                                            // OffsetCommit
    ApiEntry{9, 0, 9, handlers::offset_fetch},                                             // OffsetFetch
    ApiEntry{10, 0, 6, handlers::find_coordinator},                                        // FindCoordinator
    ApiEntry{11, 0, 9, handlers::join_group},                                              // JoinGroup
    ApiEntry{12, 0, 4, handlers::heartbeat},                                               // Heartbeat
    ApiEntry{13, 0, 5, handlers::leave_group},                                             // LeaveGroup
    ApiEntry{14, 0, 5, handlers::sync_group},                                              // SyncGroup
    ApiEntry{15, 0, 5, handlers::describe_groups},                                         // DescribeGroups
    ApiEntry{16, 0, 5, handlers::list_groups},                                             // ListGroups
    ApiEntry{18, 0, 4, handlers::api_versions},                                            // ApiVersions
    ApiEntry{19, 0, 7, handlers::on_storage_thread<handlers::create_topics>},              // CreateTopics
    ApiEntry{20, 0, 6, handlers::delete_topics},                                           // DeleteTopics
    ApiEntry{21, 0, 2, handlers::delete_records},                                          // DeleteRecords
    ApiEntry{22, 0, 5, handlers::on_storage_thread<handlers::init_producer_id>},           // InitProducerId
    ApiEntry{32, 0, 4, handlers::describe_configs},                                        // DescribeConfigs
    ApiEntry{33, 0, 2, handlers::on_storage_thread<handlers::alter_configs>},              // AlterConfigs
    ApiEntry{35, 0, 4, handlers::on_storage_thread<handlers::describe_log_dirs>},          // DescribeLogDirs
    ApiEntry{37, 0, 3, handlers::on_storage_thread<handlers::create_partitions>},          // CreatePartitions
    ApiEntry{42, 0, 2, handlers::delete_groups},                                           // DeleteGroups
    ApiEntry{44, 0, 1, handlers::on_storage_thread<handlers::incremental_alter_configs>},  // IncrementalAlterConfigs
    ApiEntry{47, 0, 0, handlers::offset_delete},                                           // OffsetDelete
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
