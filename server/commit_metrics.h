// Turns the commit pipeline's observations (storage/commit_observer.h) into histograms:
// appends and bytes per RocksDB write, and the time each WAL fsync took.
#pragma once

#include "metrics/registry.h"
#include "storage/commit_observer.h"

namespace weir {

// Thread-safe; create it before the Store that reports to it, and keep it (with its
// registry) until the Store is closed.
class CommitMetrics final : public storage::CommitObserver {
 public:
  explicit CommitMetrics(metrics::Registry& registry);
  void group_written(std::size_t appends, std::uint64_t bytes) override;
  void wal_synced(std::chrono::nanoseconds duration) override;

 private:
  metrics::Histogram appends_per_write_;
  metrics::Histogram bytes_per_write_;
  metrics::Histogram wal_sync_seconds_;
};

}  // namespace weir
