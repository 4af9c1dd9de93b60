// CommitPipeline: the single writer of the `log` and `timeindex` column families.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "storage/commit_observer.h"
#include "storage/partition_log.h"
#include "storage/tail_cache.h"
#include "storage/types.h"

namespace weir::storage {

// Where and how long the commit pipeline keeps idempotent producer state. A null column
// family disables the sequence checks (tests of the log alone).
struct ProducerStateOptions {
  rocksdb::ColumnFamilyHandle* column = nullptr;
  // producer.id.expiration.ms: state idle this long is dropped (memory and disk).
  std::int64_t expiration_ms = 86400000;
};

// Appends from any thread are queued; one writer thread drains everything queued (every
// partition, every caller) and commits it as one group: it assigns contiguous offsets per
// partition in queue order, patches each batch's base offset, writes a single WriteBatch
// (fsyncing the WAL as the DurabilityPolicy says: by default iff any append in the group
// asked for Durability::synced), adds the batches to the tail cache, publishes the new
// high watermarks only once the write succeeded, then runs every completion. A failed
// write completes the whole group with storage_error and rolls the partitions' next
// offsets back, so the offsets stay contiguous; RocksDB then refuses writes until it is
// resumed, which the writer tries before each later group (so writes come back by
// themselves once, say, disk space is freed).
//
// The queue and the writer's buffers are reused from group to group: after warm-up an
// append allocates nothing beyond the batch and the callback its caller made.
//
// Idempotent producers: a batch with a producer id is checked against its partition's
// producer state here, where offsets are assigned, so two requests in flight for the same
// partition are ordered by the queue. A retried batch completes with its original offsets
// and writes nothing; the state of an appended batch is put in the same WriteBatch.
class CommitPipeline {
 public:
  using Done = std::function<void(const AppendResult&)>;

  struct Settings {
    std::size_t max_group_bytes = 16 << 20;  // StoreOptions::max_group_bytes
    DurabilityPolicy policy = DurabilityPolicy::per_acks;
    std::chrono::milliseconds flush_interval{1000};  // DurabilityPolicy::interval only
    CommitObserver* observer = nullptr;              // StoreOptions::commit_observer
  };

  // `tail_cache` may be null (no cache); it is written by the writer thread only.
  CommitPipeline(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log,
                 rocksdb::ColumnFamilyHandle* timeindex, TailCache* tail_cache, Settings settings,
                 ProducerStateOptions producer_state = {});
  // Calls stop().
  ~CommitPipeline();
  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;

  // Thread-safe. After stop() has returned, completes at once with storage_error on the
  // calling thread (the database is about to close).
  void append(PartitionLog* log, std::vector<std::byte> batch, std::int32_t last_offset_delta,
              std::int64_t max_timestamp, Durability durability, Done done);
  // Commits and completes everything queued (including appends queued while stopping),
  // then joins the writer thread. Idempotent.
  void stop();
  void set_append_listener(std::function<void()> listener);
  CommitStats stats() const;
  // Store::commit_sequence.
  std::uint64_t commit_sequence() const { return commit_sequence_.load(std::memory_order_acquire); }

 private:
  struct Append {
    PartitionLog* log;
    std::vector<std::byte> batch;
    std::int32_t last_offset_delta;
    std::int64_t max_timestamp;
    Durability durability;
    Done done;
    std::int64_t base_offset = -1;        // set by the writer
    StorageErrc error = StorageErrc::ok;  // set by the writer for appends refused alone
    bool duplicate = false;  // set by the writer: a retry, base_offset is the original's
    // Read from the batch header by the writer; producer_id -1 for a plain batch.
    std::int64_t producer_id = -1;
    std::int16_t producer_epoch = -1;
    std::int32_t base_sequence = -1;
  };

  // A producer entry as it was before this group changed it, restored if the write fails.
  struct ProducerUndo {
    PartitionLog* log;
    std::int64_t producer_id;
    std::optional<ProducerEntry> previous;
  };

  using Clock = std::chrono::steady_clock;

  void run();
  void commit(std::span<Append> group);
  // Sequence check of an idempotent batch; false when it must not be appended (a
  // duplicate or an error, recorded in `append`).
  bool check_producer(Append& append);
  // Records the appended batch in its producer's state and in the WriteBatch.
  rocksdb::Status record_producer(const Append& append);
  void rollback_producers();
  // Drops state idle for longer than the expiration, at most once per check interval.
  void expire_producers(std::int64_t now_ms);
  bool group_needs_sync(bool any_synced_append) const;
  // Brings RocksDB back after a failed write (Resume); false while it still cannot write.
  bool resume_if_needed();
  // DurabilityPolicy::interval: fsyncs the WAL if written appends have waited long enough.
  void sync_if_interval_elapsed();
  // SyncWAL, timed for the observer.
  rocksdb::Status sync_wal();

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const log_;
  rocksdb::ColumnFamilyHandle* const timeindex_;
  TailCache* const tail_cache_;
  const Settings settings_;
  const ProducerStateOptions producer_state_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Append> queue_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  bool stopped_ = false;       // guarded by mutex_: the writer has exited

  std::mutex listener_mutex_;
  std::function<void()> listener_;  // guarded by listener_mutex_

  // Writer thread only.
  rocksdb::WriteBatch write_batch_;
  std::vector<PartitionLog*> touched_;  // partitions in the current group
  std::uint64_t group_number_ = 0;
  std::vector<ProducerUndo> producer_undo_;
  std::vector<PartitionLog*> logs_with_producers_;
  std::int64_t next_expiry_scan_ms_ = 0;
  bool needs_resume_ = false;     // the last write failed; RocksDB may be read-only
  bool unsynced_writes_ = false;  // written since the last WAL fsync
  Clock::time_point last_sync_ = Clock::now();

  std::atomic<std::uint64_t> groups_{0};
  std::atomic<std::uint64_t> appends_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> synced_groups_{0};
  std::atomic<std::uint64_t> failed_groups_{0};
  std::atomic<std::uint64_t> interval_syncs_{0};
  std::atomic<std::uint64_t> resumes_{0};
  std::atomic<std::uint64_t> commit_sequence_{0};

  std::thread writer_;  // last: starts after every member above is constructed
};

}  // namespace weir::storage
