// Store: every topic partition's log, the topic metadata and the cluster id, kept in one
// RocksDB database (column families `log`, `meta`, `timeindex`, `offsets`, `producers`;
// docs/storage.md has the layouts).
//
// Durability contract of append:
//   Durability::none and ::written complete once the group's WriteBatch is in RocksDB
//   with its WAL record written to the page cache: the batch survives a crash of this
//   process but not of the machine. Durability::synced completes only after the WAL has
//   been fsynced: the batch survives power loss. One fsync covers every append written in
//   the same group, whatever partition or caller it came from.
//   A group is one RocksDB WriteBatch, so after a crash at any moment it is recovered
//   whole or not at all: offsets stay contiguous and no half-written batch is visible.
//   The high watermark moves (and readers see the batches) only after the write succeeded.
// Metadata operations (create_topic) are synced before they return.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "storage/group_records.h"
#include "storage/partition_log.h"
#include "storage/retention.h"
#include "storage/topic_config.h"
#include "storage/types.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Slice;
}  // namespace rocksdb

namespace weir::storage {

class CommitObserver;
class CommitPipeline;
class ReaderPool;
class TailCache;

// Kafka's topic naming rule: 1 to 249 characters from [a-zA-Z0-9._-], and neither "."
// nor "..". create_topic applies it (and a collision check on top); the server can use it
// to refuse a name before asking for anything else.
bool valid_topic_name(std::string_view name);

struct StoreOptions {
  // Directory of the RocksDB database; created with its missing parents.
  std::string path;
  // Memtable size of the `log` column family. Larger means fewer, bigger flushes of
  // sequential batches and fewer L0 files to compact.
  std::size_t write_buffer_bytes = 64 << 20;
  // RocksDB flush and compaction threads; sized for a 2-core machine so background work
  // leaves a core to the network and writer threads.
  int max_background_jobs = 2;
  // Block cache shared by every column family, for fetches that miss the memtables.
  std::size_t block_cache_bytes = 64 << 20;
  // Most record batch bytes the commit pipeline puts into one RocksDB write. Bounds the
  // latency of a group and the WriteBatch buffer; a single larger batch is written alone.
  std::size_t max_group_bytes = 16 << 20;
  // create_topic refuses more partitions than this with invalid_partitions: each
  // partition costs memory and a few seeks at open, and a client must not be able to ask
  // for two billion of them.
  std::int32_t max_partitions_per_topic = 100000;
  // Kafka's producer.id.expiration.ms: idempotent producer state of a partition is dropped
  // once the producer has not appended to it for this long.
  std::int64_t producer_id_expiration_ms = 86400000;
  // When the WAL is fsynced (see DurabilityPolicy in storage/types.h).
  DurabilityPolicy durability_policy = DurabilityPolicy::per_acks;
  // DurabilityPolicy::interval only: longest time written appends stay unsynced.
  std::chrono::milliseconds flush_interval{1000};
  // Memory for the tail cache: the most recently committed batches of every partition,
  // served to fetches without reading RocksDB. 0 turns it off. Counts batch bytes; the
  // bookkeeping adds about 100 bytes per cached batch.
  std::size_t tail_cache_bytes = 64 << 20;
  // Threads running blocking reads for callers that must not block (submit_read).
  int reader_threads = 2;
  // Batches of at least this many bytes are stored in RocksDB blob files (key-value
  // separation) instead of inside the `log` SST files; 0 keeps every batch in the SSTs.
  // Compactions then move keys only: 512 MB appended in 16 KiB or 1 MiB batches made the
  // process write 2.0 bytes per byte instead of 3.0-3.1 (docs/benchmarks.md).
  std::size_t min_blob_bytes = 4096;
  // How often the background retention check runs (Kafka's
  // log.retention.check.interval.ms); 0 turns the background thread off, so only explicit
  // enforce_retention calls delete.
  std::int64_t retention_check_interval_ms = 300000;
  // Told of every group commit and WAL fsync (storage/commit_observer.h); may be null.
  // Must outlive the Store.
  CommitObserver* commit_observer = nullptr;
};

// Disk use and write pressure of the database, from RocksDB's own bookkeeping (cheap to
// read: no file is opened, the WAL folder is listed).
struct StorageUsage {
  std::uint64_t live_sst_bytes = 0;      // SST files of the current version, every column family
  std::uint64_t live_blob_bytes = 0;     // blob files of the current version (large batches)
  std::uint64_t blob_garbage_bytes = 0;  // of live_blob_bytes, deleted batches' that stay on disk
  std::uint64_t blob_garbage_collections = 0;  // blob garbage collections run since open
  std::uint64_t wal_bytes = 0;                 // write-ahead log files
  std::uint64_t pending_compaction_bytes =
      0;                                 // RocksDB's estimate of bytes compaction must rewrite
  bool writes_stopped = false;           // RocksDB refuses writes until compaction catches up
  std::uint64_t delayed_write_rate = 0;  // bytes/s RocksDB throttles writes to; 0 when not delayed
  std::uint64_t write_stall_micros = 0;  // time writers waited in stalls since open
};

// Thread-safe. Open with Store::open; destroy only after every caller has stopped.
class Store {
 public:
  // Opens or creates the database at options.path and recovers each partition's high
  // watermark (from its last batch) and log start offset (its first batch) with two seeks
  // per partition. Returns nullptr and sets *error on failure.
  static std::unique_ptr<Store> open(const StoreOptions& options, std::string* error);
  // Runs every submitted read, stops the commit pipeline (completing every queued
  // append), syncs the WAL, flushes the memtables and closes the database.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Random, made on first open and stored; Kafka's 22-character base64 form.
  std::string cluster_id() const;

  // Metadata operations: thread-safe, blocking, synced to disk before returning.
  // Errors: invalid_topic_name (Kafka's naming rule, or a name that collides with an
  // existing one once '.' and '_' are treated alike), invalid_partitions (<= 0 or above
  // StoreOptions::max_partitions_per_topic), topic_already_exists, storage_error.
  StorageErrc create_topic(std::string_view name, std::int32_t partitions,
                           std::map<std::string, std::string> configs, TopicDescription* created);
  std::optional<TopicDescription> find_topic(std::string_view name) const;
  std::optional<TopicDescription> find_topic(const Uuid& topic_id) const;
  std::vector<TopicDescription> list_topics() const;  // sorted by name
  // nullptr if the topic or partition does not exist. Thread-safe, never blocks on I/O.
  PartitionLog* partition(std::string_view topic, std::int32_t partition);

  // Topic administration (storage/topic_config.h validates configs; callers validate
  // first). Thread-safe, blocking, synced to disk before returning. A PartitionLog keeps
  // the description it was created with; find_topic and topic_config give the current one.
  //
  // Replaces every config override of the topic. Errors: unknown_topic_or_partition,
  // storage_error.
  StorageErrc update_topic_configs(std::string_view name,
                                   std::map<std::string, std::string> configs);
  // Grows the topic to `partition_count` partitions; existing partitions are untouched.
  // Errors: unknown_topic_or_partition, invalid_partitions (not more than now, or above
  // StoreOptions::max_partitions_per_topic), storage_error.
  StorageErrc create_partitions(std::string_view name, std::int32_t partition_count);
  // The topic's typed config: its overrides over Kafka's defaults. nullopt if unknown.
  std::optional<TopicConfig> topic_config(std::string_view name) const;
  // Bytes the partition takes on disk and in memtables, from RocksDB's estimates of the
  // partition's key range in `log` (fast, approximate). Blocking, thread-safe.
  std::int64_t approximate_partition_bytes(const PartitionLog* log) const;
  // The database directory (StoreOptions::path): Kafka's single log dir.
  const std::string& path() const { return options_.path; }
  // StoreOptions::max_partitions_per_topic, for requests that only validate.
  std::int32_t max_partitions_per_topic() const { return options_.max_partitions_per_topic; }

  // Appends one v2 record batch through the commit pipeline. Thread-safe; never blocks
  // on I/O (it takes a mutex only long enough to queue). `batch` is moved in and its
  // base offset (bytes 0-7) is patched; the CRC does not cover those bytes.
  // `last_offset_delta` and `max_timestamp` come from the already validated header.
  // Offsets are contiguous per partition in the order appends were queued.
  // `done` runs exactly once, on the pipeline's writer thread, after the write (and the
  // WAL sync if durability == synced) completed or failed; it must not throw and should
  // only hand the result over (e.g. post it to the caller's executor). A batch shorter
  // than the 61-byte v2 header, or whose header holds another last_offset_delta than the
  // one passed, completes with storage_error; a null `log` with unknown_topic_or_partition.
  void append(PartitionLog* log, std::vector<std::byte> batch, std::int32_t last_offset_delta,
              std::int64_t max_timestamp, Durability durability,
              std::function<void(const AppendResult&)> done);

  // Reads whole batches starting with the batch that contains fetch_offset, while the
  // total stays within max_bytes, but always at least one whole batch if any exists at or
  // after fetch_offset (Kafka's rule, so a consumer always makes progress). Only batches
  // below the high watermark are returned. fetch_offset == high watermark: empty, ok.
  // Outside [log_start_offset, high_watermark]: offset_out_of_range. Blocking (RocksDB
  // reads): call it off the network threads. Thread-safe.
  // Batches still in the tail cache are copied from memory without touching RocksDB. A
  // batch loaded from RocksDB past max_bytes is kept for the partition's next read, which
  // usually starts at it (within read_ahead_budget_bytes for all partitions together).
  ReadResult read(PartitionLog* log, std::int64_t fetch_offset, std::int32_t max_bytes) const;
  // The same answer as read() when it needs no RocksDB access (the range is in the tail
  // cache, fetch_offset is the high watermark, or it is out of range); std::nullopt when
  // it would. Never blocks on I/O, so a network thread may call it.
  std::optional<ReadResult> read_from_memory(PartitionLog* log, std::int64_t fetch_offset,
                                             std::int32_t max_bytes) const;
  // Runs `job` on one of StoreOptions::reader_threads storage threads: the way for a
  // caller that must not block to call read() and the other blocking reads. The job must
  // not throw; it should hand its result over (e.g. post it to the caller's executor).
  void submit_read(std::function<void()> job);
  // Returns once every job submitted so far has finished (for an orderly shutdown).
  void wait_for_reads();
  // Bytes of the batches kept by read() for the next read of their partition.
  std::size_t read_ahead_bytes() const { return read_ahead_bytes_.load(std::memory_order_relaxed); }
  static constexpr std::size_t read_ahead_budget_bytes = 32 << 20;

  // ListOffsets by timestamp, at batch granularity: the base offset of the first batch
  // whose max timestamp is >= timestamp, and that batch's max timestamp; {-1, -1} if none.
  // The latest (-1) and earliest (-2) sentinels are the caller's: use high_watermark() and
  // log_start_offset(). Blocking, thread-safe.
  std::pair<std::int64_t, std::int64_t> offset_for_timestamp(PartitionLog* log,
                                                             std::int64_t timestamp) const;
  // ListOffsets max timestamp (-3): the last offset of the first batch that carries the
  // partition's largest timestamp, and that timestamp; {-1, -1} if the log is empty.
  // Blocking, thread-safe.
  std::pair<std::int64_t, std::int64_t> offset_for_max_timestamp(PartitionLog* log) const;

  // Called on the writer thread after every successful group commit (after the
  // completions); the server wakes parked long-poll fetches with it. Replacing it waits
  // for a running call to return, so after set_append_listener({}) the old listener is
  // never called again. The listener must not call set_append_listener.
  void set_append_listener(std::function<void()> listener);

  // Runs `answered` on the commit pipeline's writer thread once every append queued before
  // this call has been committed or failed; it writes nothing. The systemd watchdog uses
  // it to tell a working writer from one wedged in a RocksDB write or fsync. Thread-safe.
  void probe_commit_pipeline(std::function<void()> answered);
  CommitStats commit_stats() const;
  // Blocking for a moment (RocksDB's DB mutex, a listing of the WAL files); thread-safe.
  StorageUsage usage() const;
  // Counts successful group commits; it moves after the high watermarks and before the
  // append listener runs. A caller that read, then registered for the listener, and then
  // finds the sequence moved since before its read must read again: it may have missed
  // the call.
  std::uint64_t commit_sequence() const;

  // A producer id for InitProducerId, never handed out before, even across restarts: ids
  // are reserved in blocks with a synced write, so most calls do no I/O. Thread-safe;
  // storage_error if the reservation cannot be written.
  StorageErrc allocate_producer_id(std::int64_t* producer_id);
  // Deletion. Every deletion is a RocksDB DeleteRange of whole batches plus the new log
  // start offset, written together in one synced WriteBatch; the log start offset is
  // recovered on open. The high watermark never moves back, and an emptied partition
  // keeps it (new appends continue from it).

  // Kafka's DeleteRecords: moves the log start offset up to `offset` (which may fall inside
  // a batch: that batch stays, readers get it from the new start) and deletes every batch
  // wholly below it. An offset at or below the log start offset changes nothing. Sets
  // *low_watermark to the log start offset afterwards. Errors: unknown_topic_or_partition
  // (null or deleted log), offset_out_of_range (offset < 0 or above the high watermark),
  // storage_error. Blocking, thread-safe.
  StorageErrc delete_records(PartitionLog* log, std::int64_t offset, std::int64_t* low_watermark);

  // Deletes the topic, its metadata and all of its partitions' data. A topic created
  // later with the same name gets a new topic id and a new internal id, so it starts
  // empty. PartitionLog pointers already handed out stay valid until the Store closes;
  // appends and reads through them fail with unknown_topic_or_partition. Errors:
  // unknown_topic_or_partition, storage_error. Blocking, thread-safe.
  StorageErrc delete_topic(std::string_view name);

  // Applies every topic's retention.ms and retention.bytes (storage/retention.h) as of
  // `now_ms`: deletes the oldest whole batches whose max timestamp is older than
  // now_ms - retention.ms, and the oldest whole batches while what remains is still at
  // least retention.bytes. Then, if the oldest blob files are mostly garbage, it collects
  // them (storage/blob_garbage.h). The background thread calls it every
  // StoreOptions::retention_check_interval_ms, and checks the blob files once at open.
  // Blocking, thread-safe.
  void enforce_retention(std::int64_t now_ms);
  // Compacts all of `log` now. RocksDB counts a deleted batch's blob as garbage (and
  // removes a blob file whose blobs are all garbage) only when a compaction drops its key;
  // this does it at once rather than when appends next cause compactions. Blocking,
  // thread-safe. Errors: storage_error.
  StorageErrc compact_log();
  // Consumer groups (storage/group_records.cc). Blocking, thread-safe. Writes go through
  // the WAL without an fsync, like Durability::written: they survive a crash of this
  // process, not of the machine. Each call is one atomic WriteBatch.
  StorageErrc put_group_membership(std::string_view group_id, std::string_view membership);
  StorageErrc put_committed_offsets(std::string_view group_id,
                                    const std::vector<CommittedOffset>& offsets);
  StorageErrc delete_committed_offsets(std::string_view group_id,
                                       const std::vector<TopicPartitionName>& partitions);
  // Removes the group's membership record and every committed offset.
  StorageErrc delete_group(std::string_view group_id);
  // Every stored group (in key order); a record that does not decode fails the call.
  StorageErrc load_groups(std::vector<StoredGroup>* groups) const;

 private:
  struct Topic {
    std::shared_ptr<const TopicDescription> description;
    std::vector<std::unique_ptr<PartitionLog>> partitions;
  };
  // Transparent hash so lookups by string_view build no std::string.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept {
      return std::hash<std::string_view>{}(name);
    }
  };

  explicit Store(const StoreOptions& options);
  bool open_database(std::string* error);
  bool load_metadata(std::string* error);
  bool recover_partitions(Topic& topic, std::string* error);
  void insert_topic(std::unique_ptr<Topic> topic);  // caller holds topics_mutex_ exclusively
  // Reads every partition's idempotent producer state (one scan of `producers`, whose size
  // is bounded by producers x partitions, not by the log) and the producer id counter.
  bool load_producer_state(std::string* error);
  // Store::read's read-ahead (PartitionLog::ReadAhead): take moves the kept batch into
  // `records` when it starts at fetch_offset and sets *next_offset past it; keep copies
  // `batch`, stored under `key`, unless that would exceed read_ahead_budget_bytes.
  bool take_read_ahead(PartitionLog& log, std::int64_t fetch_offset,
                       std::vector<std::byte>* records, std::int64_t* next_offset) const;
  void keep_read_ahead(PartitionLog& log, const rocksdb::Slice& key,
                       const rocksdb::Slice& batch) const;

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // every opened column family
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* timeindex_ = nullptr;
  rocksdb::ColumnFamilyHandle* producers_ = nullptr;
  std::unique_ptr<TailCache> tail_cache_;  // outlives the pipeline, which fills it
  std::unique_ptr<CommitPipeline> pipeline_;
  std::unique_ptr<ReaderPool> readers_;
  mutable std::atomic<std::size_t> read_ahead_bytes_{0};
  std::string cluster_id_;

  mutable std::shared_mutex topics_mutex_;
  std::unordered_map<std::string, std::unique_ptr<Topic>, NameHash, std::equal_to<>>
      topics_by_name_;
  std::map<Uuid, Topic*> topics_by_id_;

  // Serialises create_topic, so the existence check, the id counter and the synced write
  // need no exclusive topics_mutex_: readers are blocked only while the new topic is
  // inserted, never during the fsync.
  std::mutex create_mutex_;
  std::uint32_t next_internal_id_ = 1;               // guarded by create_mutex_
  std::unordered_set<std::string> collision_names_;  // names with '.' as '_'; create_mutex_

  std::mutex producer_id_mutex_;
  std::int64_t next_producer_id_ = 0;       // guarded by producer_id_mutex_
  std::int64_t producer_id_block_end_ = 0;  // first id not reserved on disk; producer_id_mutex_
  // Deletion (storage/deletion.cc).
  StorageErrc delete_below(PartitionLog* log,
                           std::int64_t new_log_start_offset);  // holds deletion_mutex_
  std::int64_t retention_start_offset(PartitionLog* log, const RetentionPolicy& policy,
                                      std::int64_t now_ms) const;
  void start_retention();
  void stop_retention();
  void run_retention();
  // Relocates the live blobs of the oldest blob files when plan_blob_collection says so
  // (storage/store_blob_garbage.cc). Serialised by blob_collection_mutex_.
  void collect_blob_garbage();
  // Serialises every change of a log start offset, so each only moves forward.
  std::mutex deletion_mutex_;
  // Deleted topics, kept until close because callers may still hold their PartitionLogs.
  std::vector<std::unique_ptr<Topic>> deleted_topics_;  // guarded by topics_mutex_
  std::mutex retention_mutex_;
  std::condition_variable retention_wake_;
  bool retention_stopping_ = false;  // guarded by retention_mutex_
  std::thread retention_thread_;
  std::mutex blob_collection_mutex_;
  std::atomic<std::uint64_t> blob_collections_{0};
  // Set on close: cancels a running manual compaction instead of waiting for it.
  std::atomic<bool> stopping_compactions_{false};
};

}  // namespace weir::storage
