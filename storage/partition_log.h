// PartitionLog: the handle of one topic partition's log.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/producer_state.h"
#include "storage/tail_cache.h"
#include "storage/types.h"

namespace weir::storage {

// Owned by the Store and valid for the Store's whole lifetime; callers keep raw pointers.
// The accessors are lock-free and may be called from any thread. The high watermark only
// moves forward and only after the batches below it are in RocksDB, so a reader that sees
// it can always read up to it.
class PartitionLog {
 public:
  PartitionLog(std::shared_ptr<const TopicDescription> topic, std::int32_t partition);
  PartitionLog(const PartitionLog&) = delete;
  PartitionLog& operator=(const PartitionLog&) = delete;

  const TopicDescription& topic() const { return *topic_; }
  std::int32_t partition() const { return partition_; }
  // One past the last committed offset: the offset the next appended record will get.
  std::int64_t high_watermark() const { return high_watermark_.load(std::memory_order_acquire); }
  // The first offset still in the log.
  std::int64_t log_start_offset() const {
    return log_start_offset_.load(std::memory_order_acquire);
  }
  // True once the topic has been deleted: appends and reads through this handle fail
  // with unknown_topic_or_partition.
  bool deleted() const { return deleted_.load(std::memory_order_acquire); }

 private:
  friend class Store;
  friend class CommitPipeline;

  // topic internal id (u32 BE) followed by the partition (u32 BE): the prefix of every key
  // of this partition in `log` and `timeindex`.
  using KeyPrefix = std::array<char, 8>;

  std::shared_ptr<const TopicDescription> topic_;
  std::int32_t partition_;
  KeyPrefix key_prefix_;
  std::atomic<std::int64_t> high_watermark_{0};
  std::atomic<std::int64_t> log_start_offset_{0};
  // Recently committed batches (TailCache); filled by the writer before the high
  // watermark moves past them.
  std::shared_ptr<PartitionTail> tail_ = std::make_shared<PartitionTail>();
  std::atomic<bool> deleted_{false};

  // The batch a RocksDB read loaded past its byte limit and did not return (Store::read).
  // The partition's next read usually starts at it; keeping it saves loading it twice,
  // which for a batch in a blob file is a file read, a copy and a software CRC32C.
  struct ReadAhead {
    std::int64_t base_offset = -1;
    std::int64_t next_offset = -1;  // base offset + last offset delta + 1
    std::vector<std::byte> batch;
  };
  std::mutex read_ahead_mutex_;
  ReadAhead read_ahead_;  // guarded by read_ahead_mutex_

  // Owned by the commit pipeline's writer thread (and by Store::open before it starts).
  std::int64_t next_offset_ = 0;
  std::int64_t max_timestamp_ =
      std::numeric_limits<std::int64_t>::min();  // running max for `timeindex`
  // Values at the start of the group being written, restored if the write fails.
  std::int64_t group_start_next_offset_ = 0;
  std::int64_t group_start_max_timestamp_ = 0;
  std::uint64_t group_ = 0;  // the last group this partition took part in

  // Idempotent producers of this partition; owned like the fields above.
  ProducerStateTable producers_;
  bool in_producer_expiry_scan_ = false;  // listed in CommitPipeline's expiry scan
};

}  // namespace weir::storage
