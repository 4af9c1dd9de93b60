#include "server/commit_metrics.h"

namespace weir {

CommitMetrics::CommitMetrics(metrics::Registry& registry)
    : appends_per_write_(
          registry.histogram("weir_commit_write_appends",
                             "Record batches in one commit pipeline write (the group commit size).",
                             {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})),
      // 1 KiB to 16 MiB, the default most a group carries (StoreOptions::max_group_bytes).
      bytes_per_write_(registry.histogram(
          "weir_commit_write_bytes", "Record batch bytes in one commit pipeline write.",
          {1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216})),
      wal_sync_seconds_(registry.histogram(
          "weir_commit_wal_sync_duration_seconds",
          "Time a WAL fsync took: the whole RocksDB write of a synced group, or a "
          "SyncWAL of DURABILITY=interval.",
          metrics::latency_buckets())) {}

void CommitMetrics::group_written(std::size_t appends, std::uint64_t bytes) {
  appends_per_write_.observe(static_cast<double>(appends));
  bytes_per_write_.observe(static_cast<double>(bytes));
}

void CommitMetrics::wal_synced(std::chrono::nanoseconds duration) {
  wal_sync_seconds_.observe(std::chrono::duration<double>(duration).count());
}

}  // namespace weir
