// TailCache: the most recently committed record batches of every partition, kept in
// memory within one byte budget, so a consumer that keeps up with its producers is
// served without reading RocksDB (see "Tail cache" in docs/storage.md for the numbers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace weir::storage {

using SharedBatch = std::shared_ptr<const std::vector<std::byte>>;

// The cached suffix of one partition's log: contiguous batches in offset order. Owned
// jointly by its PartitionLog and the cache's eviction queue, so a partition that goes
// away never leaves the queue pointing at freed memory.
class PartitionTail {
 private:
  friend class TailCache;
  struct Entry {
    std::int64_t base_offset;
    std::int64_t next_offset;  // base offset + last offset delta + 1
    SharedBatch batch;
  };
  mutable std::mutex mutex_;
  std::deque<Entry> entries_;  // guarded by mutex_
};

// add() and clear() are for the single writer (the commit pipeline's thread); read() may
// be called from any thread and takes only the partition's mutex, never for a copy.
class TailCache {
 public:
  // A budget of 0 turns the cache off: add() keeps nothing and read() always misses.
  explicit TailCache(std::size_t budget_bytes) : budget_bytes_(budget_bytes) {}

  // Appends a just-committed batch to its partition's tail, then evicts the oldest
  // batches of the whole cache (whatever partition) until the budget holds again. The
  // batches of one partition must be added in offset order with no gap.
  void add(const std::shared_ptr<PartitionTail>& tail, std::int64_t base_offset,
           std::int64_t next_offset, SharedBatch batch);

  // Whole batches from the one containing fetch_offset, stopping before high_watermark,
  // while the total stays within max_bytes but at least one batch (the Store::read rule).
  // False (and `out` untouched) when fetch_offset lies below what is cached: RocksDB
  // must answer. fetch_offset must be below high_watermark.
  bool read(const PartitionTail& tail, std::int64_t fetch_offset, std::int64_t high_watermark,
            std::size_t max_bytes, std::vector<std::byte>* out) const;

  bool enabled() const { return budget_bytes_ > 0; }
  std::size_t cached_bytes() const { return cached_bytes_; }  // writer thread only

 private:
  const std::size_t budget_bytes_;
  std::size_t cached_bytes_ = 0;
  // Every cached batch's partition, oldest first: the front is the next to evict, and it
  // is always the front of that partition's own deque.
  std::deque<std::shared_ptr<PartitionTail>> eviction_order_;
};

}  // namespace weir::storage
