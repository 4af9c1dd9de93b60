// Store's deletions: DeleteRecords, retention, and the log start offset they move. Topic
// deletion lives beside topic creation in store.cc.
#include <fmt/core.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <optional>

#include "storage/keys.h"
#include "storage/metadata.h"
#include "storage/retention.h"
#include "storage/store.h"

namespace weir::storage {
namespace {

using Prefix = std::array<char, keys::prefix_size>;
using Key = std::array<char, keys::log_key_size>;

rocksdb::Slice as_slice(const Key& key) { return {key.data(), key.size()}; }

bool has_prefix(const rocksdb::Slice& key, const Prefix& prefix) {
  return key.size() == keys::log_key_size &&
         std::memcmp(key.data(), prefix.data(), prefix.size()) == 0;
}

std::int64_t offset_of(const rocksdb::Slice& key) {
  return static_cast<std::int64_t>(keys::get_u64(key.data() + keys::prefix_size));
}

// One past the last offset of the stored batch `value` at `base_offset`; nullopt if the
// value is too short to be a batch.
std::optional<std::int64_t> batch_end(std::int64_t base_offset, const rocksdb::Slice& value) {
  if (value.size() < keys::batch::header_size) return std::nullopt;
  return base_offset +
         static_cast<std::int32_t>(
             keys::get_u32(value.data() + keys::batch::last_offset_delta_at)) +
         1;
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StorageErrc Store::delete_records(PartitionLog* log, std::int64_t offset,
                                  std::int64_t* low_watermark) {
  if (log == nullptr) return StorageErrc::unknown_topic_or_partition;
  std::lock_guard lock(deletion_mutex_);
  if (log->deleted()) return StorageErrc::unknown_topic_or_partition;
  if (offset < 0 || offset > log->high_watermark()) return StorageErrc::offset_out_of_range;
  const StorageErrc result = delete_below(log, offset);
  if (low_watermark != nullptr) *low_watermark = log->log_start_offset();
  return result;
}

// Deletes the batches that end at or below new_log_start_offset, and stores the new start,
// in one synced WriteBatch. Never touches a batch at or above the high watermark, so it
// needs no coordination with the commit pipeline: everything it deletes is committed.
StorageErrc Store::delete_below(PartitionLog* log, std::int64_t new_log_start_offset) {
  if (new_log_start_offset <= log->log_start_offset()) return StorageErrc::ok;
  const Prefix& prefix = log->key_prefix_;
  const Key lower = keys::offset_key(prefix, 0);

  // The batch holding the new start stays (a consumer reads it from the new start and
  // skips the records below), so the range ends at its base offset.
  std::int64_t range_end = new_log_start_offset;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_));
    it->SeekForPrev(
        as_slice(keys::offset_key(prefix, static_cast<std::uint64_t>(new_log_start_offset))));
    if (it->Valid() && has_prefix(it->key(), prefix)) {
      const auto end = batch_end(offset_of(it->key()), it->value());
      if (end && *end > new_log_start_offset) range_end = offset_of(it->key());
    }
    if (!it->status().ok()) return StorageErrc::storage_error;
  }

  // The time index grows in offset as in timestamp, so the entries of deleted batches are
  // its first ones. The last of them stays: a lookup for an older timestamp lands on it
  // and is answered with the log start offset, where a lookup with it gone would skip the
  // remaining batches that never raised the running maximum.
  std::optional<std::string> first_kept_time_key;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), timeindex_));
    for (it->Seek(as_slice(lower)); it->Valid() && has_prefix(it->key(), prefix); it->Next()) {
      if (it->value().size() != 8 ||
          static_cast<std::int64_t>(keys::get_u64(it->value().data())) >= range_end)
        break;
      first_kept_time_key = it->key().ToString();
    }
    if (!it->status().ok()) return StorageErrc::storage_error;
  }

  rocksdb::WriteBatch batch;
  const Key upper = keys::offset_key(prefix, static_cast<std::uint64_t>(range_end));
  rocksdb::Status status = batch.DeleteRange(log_, as_slice(lower), as_slice(upper));
  if (status.ok() && first_kept_time_key)
    status = batch.DeleteRange(timeindex_, as_slice(lower), *first_kept_time_key);
  char start_value[8];
  keys::put_u64(start_value, static_cast<std::uint64_t>(new_log_start_offset));
  if (status.ok())
    status = batch.Put(meta_,
                       metadata::log_start_key(log->topic().internal_id,
                                               static_cast<std::uint32_t>(log->partition())),
                       rocksdb::Slice(start_value, sizeof start_value));
  rocksdb::WriteOptions synced;
  synced.sync = true;
  if (status.ok()) status = db_->Write(synced, &batch);
  if (!status.ok()) {
    fmt::print(stderr, "weir storage: cannot delete below offset {} of {}-{}: {}\n",
               new_log_start_offset, log->topic().name, log->partition(), status.ToString());
    return StorageErrc::storage_error;
  }
  log->log_start_offset_.store(new_log_start_offset, std::memory_order_release);
  return StorageErrc::ok;
}

void Store::enforce_retention(std::int64_t now_ms) {
  struct Work {
    RetentionPolicy policy;
    PartitionLog* log;
  };
  std::vector<Work> work;
  {
    std::shared_lock lock(topics_mutex_);
    for (const auto& [name, topic] : topics_by_name_) {
      const RetentionPolicy policy = retention_policy(topic->description->configs);
      if (policy.keeps_everything()) continue;
      for (const auto& log : topic->partitions) work.push_back({policy, log.get()});
    }
  }
  for (const Work& item : work) {
    const std::int64_t start = retention_start_offset(item.log, item.policy, now_ms);
    if (start <= item.log->log_start_offset()) continue;
    std::lock_guard lock(deletion_mutex_);
    if (!item.log->deleted()) delete_below(item.log, start);
  }
  collect_blob_garbage();
}

// The log start offset retention asks for: past every leading batch older than
// retention.ms, and past the oldest batches while the rest still holds retention.bytes.
// Reads only the batches it deletes plus one for retention.ms, and the retained
// retention.bytes for the size limit.
std::int64_t Store::retention_start_offset(PartitionLog* log, const RetentionPolicy& policy,
                                           std::int64_t now_ms) const {
  const std::int64_t log_start = log->log_start_offset();
  const std::int64_t high_watermark = log->high_watermark();
  std::int64_t start = log_start;
  if (high_watermark <= log_start) return start;

  const Key lower = keys::offset_key(log->key_prefix_, 0);
  const Key upper = keys::offset_key(log->key_prefix_, static_cast<std::uint64_t>(high_watermark));
  const rocksdb::Slice lower_bound = as_slice(lower);
  const rocksdb::Slice upper_bound = as_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_bound;
  options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, log_));

  if (policy.retention_ms >= 0) {
    const std::int64_t cutoff = now_ms - policy.retention_ms;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto end = batch_end(offset_of(it->key()), it->value());
      if (!end) break;
      const auto max_timestamp = static_cast<std::int64_t>(
          keys::get_u64(it->value().data() + keys::batch::max_timestamp_at));
      if (max_timestamp >= cutoff) break;
      start = std::max(start, *end);
    }
  }
  if (policy.retention_bytes >= 0) {
    // Newest first: once the batches after this one hold retention.bytes, this one and
    // everything older can go.
    std::uint64_t kept = 0;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (kept >= static_cast<std::uint64_t>(policy.retention_bytes)) {
        if (const auto end = batch_end(offset_of(it->key()), it->value()))
          start = std::max(start, *end);
        break;
      }
      kept += it->value().size();
    }
  }
  if (!it->status().ok()) return log_start;
  return std::min(start, high_watermark);
}

void Store::run_retention() {
  // Capped at a year: a longer wait would overflow the clock's nanosecond count.
  constexpr std::int64_t longest_interval_ms = 31536000000;
  const auto interval = std::chrono::milliseconds(
      std::min(options_.retention_check_interval_ms, longest_interval_ms));
  // A database opened with old blob files that are mostly garbage (written before a
  // restart, or by a Weir that never collected) gets them collected now, not after the
  // first interval.
  collect_blob_garbage();
  std::unique_lock lock(retention_mutex_);
  while (!retention_wake_.wait_for(lock, interval, [this] { return retention_stopping_; })) {
    lock.unlock();
    enforce_retention(wall_clock_ms());
    lock.lock();
  }
}

void Store::start_retention() {
  if (options_.retention_check_interval_ms > 0)
    retention_thread_ = std::thread([this] { run_retention(); });
}

void Store::stop_retention() {
  stopping_compactions_.store(true);
  {
    std::lock_guard lock(retention_mutex_);
    retention_stopping_ = true;
  }
  retention_wake_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
}

}  // namespace weir::storage
