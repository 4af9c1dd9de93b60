// Store's collection of blob garbage in `log` (storage/blob_garbage.h decides when).
//
// RocksDB's own blob GC stays off (db_options.cc). Turned on for good, it relocates the
// live blobs of the oldest quarter of the blob files in every compaction that meets them,
// and since each flush spans every partition's keys, every L0 compaction meets them: a log
// whose blobs are all live had a quarter of its data rewritten again and again. Its
// targeted compactions (blob_garbage_collection_force_threshold) do not help either: they
// fire only when the SSTs that keep the oldest blob file alive keep no file past the age
// cutoff alive, and a log's SSTs each hold a partition's batches from every flush. So the
// retention thread runs one manual compaction with GC forced on, over the SSTs that point
// into the oldest files, and only when those files are mostly garbage.
#include <fmt/core.h>
#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/options.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/blob_garbage.h"
#include "storage/store.h"

namespace weir::storage {
namespace {

// The user key range of the SSTs that still reference a blob file numbered below
// `below_file_number`: compacting it lets the collection meet every live blob of those
// files. nullopt if no SST does.
std::optional<std::pair<std::string, std::string>> range_referencing(
    const rocksdb::ColumnFamilyMetaData& column, std::uint64_t below_file_number) {
  std::optional<std::pair<std::string, std::string>> range;
  for (const auto& level : column.levels) {
    for (const auto& file : level.files) {
      // 0 is RocksDB's "references no blob file".
      if (file.oldest_blob_file_number == 0 || file.oldest_blob_file_number >= below_file_number)
        continue;
      if (!range) {
        range.emplace(file.smallestkey, file.largestkey);
        continue;
      }
      if (file.smallestkey < range->first) range->first = file.smallestkey;
      if (file.largestkey > range->second) range->second = file.largestkey;
    }
  }
  return range;
}

}  // namespace

void Store::collect_blob_garbage() {
  std::lock_guard lock(blob_collection_mutex_);
  rocksdb::ColumnFamilyMetaData column;
  db_->GetColumnFamilyMetaData(log_, &column);
  std::vector<BlobFileGarbage> files;
  files.reserve(column.blob_files.size());
  for (const auto& blob : column.blob_files)
    files.push_back({blob.blob_file_number, blob.total_blob_bytes, blob.garbage_blob_bytes});
  const BlobCollectionPlan plan = plan_blob_collection(std::move(files));
  if (!plan.collect) return;
  const auto range = range_referencing(column, plan.below_file_number);
  if (!range) return;

  const std::uint64_t blob_bytes_before = usage().live_blob_bytes;
  rocksdb::CompactRangeOptions options;
  options.exclusive_manual_compaction = false;  // flushes and L0 compactions keep running
  options.blob_garbage_collection_policy = rocksdb::BlobGarbageCollectionPolicy::kForce;
  options.blob_garbage_collection_age_cutoff = blob_collection_age_cutoff;
  // Most of a log lives in the bottom level; RocksDB skips that level by default.
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  options.canceled = &stopping_compactions_;
  const rocksdb::Slice begin(range->first);
  const rocksdb::Slice end(range->second);
  const rocksdb::Status status = db_->CompactRange(options, log_, &begin, &end);
  if (!status.ok()) {
    if (!stopping_compactions_.load())
      fmt::print(stderr, "weir storage: blob garbage collection failed: {}\n", status.ToString());
    return;
  }
  blob_collections_.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t blob_bytes_after = usage().live_blob_bytes;
  fmt::print(stderr,
             "weir storage: collected blob garbage ({} of {} bytes in the oldest blob files were "
             "garbage); blob files {} -> {} bytes\n",
             plan.oldest_garbage_bytes, plan.oldest_total_bytes, blob_bytes_before,
             blob_bytes_after);
}

StorageErrc Store::compact_log() {
  rocksdb::CompactRangeOptions options;
  options.exclusive_manual_compaction = false;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  options.canceled = &stopping_compactions_;
  const rocksdb::Status status = db_->CompactRange(options, log_, nullptr, nullptr);
  if (!status.ok()) {
    fmt::print(stderr, "weir storage: cannot compact the log: {}\n", status.ToString());
    return StorageErrc::storage_error;
  }
  return StorageErrc::ok;
}

}  // namespace weir::storage
