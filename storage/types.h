// Value types shared by the storage interface: errors, topic descriptions, results.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace weir::storage {

// A 16-byte UUID in network byte order, as Kafka's topic ids are sent on the wire.
using Uuid = std::array<std::uint8_t, 16>;

// Failures a client or the disk can cause. The server maps each to a Kafka error code.
enum class StorageErrc {
  ok,
  unknown_topic_or_partition,
  topic_already_exists,
  invalid_partitions,
  invalid_topic_name,
  offset_out_of_range,
  storage_error,
  out_of_order_sequence,   // an idempotent batch whose sequence leaves a gap
  invalid_producer_epoch,  // an idempotent batch from an epoch older than the last seen
};

// A topic as stored in the `meta` column family. Immutable once created.
struct TopicDescription {
  std::string name;
  Uuid topic_id{};                // random (version 4), never all zeros
  std::uint32_t internal_id = 0;  // prefix of this topic's keys in `log` and `timeindex`
  std::int32_t partition_count = 0;
  std::map<std::string, std::string> configs;  // stored as given; storage interprets none yet
};

// How far an append must have reached before its completion runs.
enum class Durability {
  none,     // acks=0: nobody waits; the write still goes through the WAL
  written,  // acks=1: in RocksDB with the WAL in the page cache; survives a process crash
  synced,   // acks=all: the WAL is fsynced; survives power loss
};

// When the WAL is fsynced, whatever each append asked for. docs/storage.md states what each
// one survives.
enum class DurabilityPolicy {
  per_acks,  // fsync a group iff an append in it asked for Durability::synced (acks=all)
  always,    // fsync every group: acks=1 and acks=0 batches survive power loss too
  interval,  // never fsync for an append; fsync the WAL at most every flush interval while
             // appends arrive (Kafka's flush.ms): acks=all survives a process crash only
};

struct AppendResult {
  StorageErrc error = StorageErrc::ok;
  std::int64_t base_offset = -1;         // offset given to the batch's first record
  std::int64_t log_append_time_ms = -1;  // wall clock when the group was committed
  std::int64_t log_start_offset =
      -1;  // the partition's log start offset when the append completed; -1 if unknown
  // A retried idempotent batch: nothing was stored, base_offset is the original's.
  bool duplicate = false;
};

struct ReadResult {
  StorageErrc error = StorageErrc::ok;
  std::int64_t high_watermark = 0;
  std::int64_t log_start_offset = 0;
  std::vector<std::byte> records;  // whole record batches, concatenated, as a fetch returns them
};

// Counters of the commit pipeline since open; each is monotonic.
struct CommitStats {
  std::uint64_t groups = 0;          // RocksDB writes made by the pipeline
  std::uint64_t appends = 0;         // batches committed successfully
  std::uint64_t bytes = 0;           // record batch bytes committed successfully
  std::uint64_t synced_groups = 0;   // writes that fsynced the WAL
  std::uint64_t failed_groups = 0;   // writes that failed (every waiter got storage_error)
  std::uint64_t interval_syncs = 0;  // WAL fsyncs made by DurabilityPolicy::interval's timer
  std::uint64_t resumes = 0;         // successful recoveries of RocksDB after a failed write
};

}  // namespace weir::storage
