#include "storage/tail_cache.h"

#include <algorithm>

namespace weir::storage {

void TailCache::add(const std::shared_ptr<PartitionTail>& tail, std::int64_t base_offset,
                    std::int64_t next_offset, SharedBatch batch) {
  if (budget_bytes_ == 0) return;
  cached_bytes_ += batch->size();
  {
    std::lock_guard lock(tail->mutex_);
    tail->entries_.push_back(PartitionTail::Entry{base_offset, next_offset, std::move(batch)});
  }
  eviction_order_.push_back(tail);
  // A batch larger than the whole budget evicts itself too: the partition's tail stays
  // contiguous (empty), which is all read() relies on.
  while (cached_bytes_ > budget_bytes_ && !eviction_order_.empty()) {
    std::shared_ptr<PartitionTail> oldest = std::move(eviction_order_.front());
    eviction_order_.pop_front();
    SharedBatch evicted;  // released outside the lock
    {
      std::lock_guard lock(oldest->mutex_);
      evicted = std::move(oldest->entries_.front().batch);
      oldest->entries_.pop_front();
    }
    cached_bytes_ -= evicted->size();
  }
}

bool TailCache::read(const PartitionTail& tail, std::int64_t fetch_offset,
                     std::int64_t high_watermark, std::size_t max_bytes,
                     std::vector<std::byte>* out) const {
  if (budget_bytes_ == 0) return false;
  std::vector<SharedBatch> found;
  {
    std::lock_guard lock(tail.mutex_);
    const auto& entries = tail.entries_;
    if (entries.empty() || fetch_offset < entries.front().base_offset) return false;
    // The batch containing fetch_offset is the first whose next offset lies beyond it.
    auto it = std::upper_bound(entries.begin(), entries.end(), fetch_offset,
                               [](std::int64_t offset, const PartitionTail::Entry& entry) {
                                 return offset < entry.next_offset;
                               });
    // Past every cached batch: the batch is committed but not yet added here, which
    // cannot happen while the writer adds before it publishes the high watermark.
    if (it == entries.end()) return false;
    std::size_t bytes = 0;
    for (; it != entries.end() && it->base_offset < high_watermark; ++it) {
      if (!found.empty() && bytes + it->batch->size() > max_bytes) break;
      bytes += it->batch->size();
      found.push_back(it->batch);
      if (bytes >= max_bytes) break;
    }
  }
  std::size_t total = 0;
  for (const auto& batch : found) total += batch->size();
  out->clear();
  out->reserve(total);
  for (const auto& batch : found) out->insert(out->end(), batch->begin(), batch->end());
  return true;
}

}  // namespace weir::storage
