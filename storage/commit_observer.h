// What the commit pipeline reports about each group it writes, for whoever turns it into
// metrics (the server does). Storage knows nothing of how the observations are kept.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace weir::storage {

// Called on the commit pipeline's writer thread, between a group's write and its
// completions: every call must be quick and must not block or throw.
class CommitObserver {
 public:
  virtual ~CommitObserver() = default;
  // A group was written: `appends` record batches (retried duplicates excluded) holding
  // `bytes` record-batch bytes, in one RocksDB write.
  virtual void group_written(std::size_t appends, std::uint64_t bytes) = 0;
  // The WAL was fsynced: the whole RocksDB write of a synced group (the fsync is nearly
  // all of it), or a SyncWAL call of DURABILITY=interval or of a retried batch.
  virtual void wal_synced(std::chrono::nanoseconds duration) = 0;
};

}  // namespace weir::storage
