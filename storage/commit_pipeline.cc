#include "storage/commit_pipeline.h"

#include <fmt/core.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "storage/keys.h"

namespace weir::storage {
namespace {

// Initial capacity of the queue and the writer's buffers; they grow to the largest group
// seen and stay there.
constexpr std::size_t initial_queue_capacity = 1024;

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

CommitPipeline::CommitPipeline(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log,
                               rocksdb::ColumnFamilyHandle* timeindex, TailCache* tail_cache,
                               Settings settings, ProducerStateOptions producer_state)
    : db_(db),
      log_(log),
      timeindex_(timeindex),
      tail_cache_(tail_cache),
      settings_(settings),
      producer_state_(producer_state) {
  queue_.reserve(initial_queue_capacity);
  touched_.reserve(initial_queue_capacity);
  writer_ = std::thread([this] { run(); });
}

CommitPipeline::~CommitPipeline() { stop(); }

void CommitPipeline::append(PartitionLog* log, std::vector<std::byte> batch,
                            std::int32_t last_offset_delta, std::int64_t max_timestamp,
                            Durability durability, Done done) {
  std::unique_lock lock(mutex_);
  if (stopped_) {
    lock.unlock();
    AppendResult result;
    result.error = StorageErrc::storage_error;
    done(result);
    return;
  }
  // The writer sleeps only on an empty queue, so only the append that makes the queue
  // non-empty needs to wake it.
  const bool was_empty = queue_.empty();
  queue_.push_back(
      Append{log, std::move(batch), last_offset_delta, max_timestamp, durability, std::move(done)});
  lock.unlock();
  if (was_empty) wake_.notify_one();
}

void CommitPipeline::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

void CommitPipeline::set_append_listener(std::function<void()> listener) {
  std::function<void()> previous;
  {
    std::lock_guard lock(listener_mutex_);
    previous.swap(listener_);
    listener_ = std::move(listener);
  }
  // `previous` (and whatever it captured) is destroyed outside the lock.
}

CommitStats CommitPipeline::stats() const {
  CommitStats stats;
  stats.groups = groups_.load(std::memory_order_relaxed);
  stats.appends = appends_.load(std::memory_order_relaxed);
  stats.bytes = bytes_.load(std::memory_order_relaxed);
  stats.synced_groups = synced_groups_.load(std::memory_order_relaxed);
  stats.failed_groups = failed_groups_.load(std::memory_order_relaxed);
  stats.interval_syncs = interval_syncs_.load(std::memory_order_relaxed);
  stats.resumes = resumes_.load(std::memory_order_relaxed);
  return stats;
}

void CommitPipeline::run() {
  // Named for top -H, gdb and perf: the thread every acknowledged write goes through.
  pthread_setname_np(pthread_self(), "weir-commit");
  std::vector<Append> draining;
  draining.reserve(initial_queue_capacity);
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto has_work = [this] { return !queue_.empty() || stopping_; };
    if (settings_.policy == DurabilityPolicy::interval && unsynced_writes_) {
      // Idle with unsynced appends: sleep only until they are due for their fsync.
      if (!wake_.wait_until(lock, last_sync_ + settings_.flush_interval, has_work)) {
        lock.unlock();
        sync_if_interval_elapsed();
        lock.lock();
        continue;
      }
    } else {
      wake_.wait(lock, has_work);
    }
    if (queue_.empty()) break;  // stopping, and everything queued has been committed
    queue_.swap(draining);
    lock.unlock();
    // Split what was drained into groups of at most max_group_bytes (at least one append).
    std::size_t begin = 0;
    while (begin < draining.size()) {
      std::size_t end = begin;
      std::size_t bytes = 0;
      do {
        bytes += draining[end].batch.size();
        ++end;
      } while (end < draining.size() &&
               bytes + draining[end].batch.size() <= settings_.max_group_bytes);
      commit(std::span<Append>(draining.data() + begin, end - begin));
      begin = end;
    }
    draining.clear();  // frees the batches; keeps the capacity
    if (settings_.policy == DurabilityPolicy::interval) sync_if_interval_elapsed();
    lock.lock();
  }
  stopped_ = true;
}

bool CommitPipeline::group_needs_sync(bool any_synced_append) const {
  switch (settings_.policy) {
    case DurabilityPolicy::per_acks:
      return any_synced_append;
    case DurabilityPolicy::always:
      return true;
    case DurabilityPolicy::interval:
      return false;
  }
  return true;
}

bool CommitPipeline::resume_if_needed() {
  if (!needs_resume_) return true;
  // After a failed WAL write RocksDB stops accepting writes until Resume(), which flushes
  // the memtables to new files: it succeeds only once the disk can take them again. On
  // ENOSPC RocksDB also retries by itself every 5 s (its SstFileManager) and answers Busy
  // to a manual Resume meanwhile; either way writes come back within about 5 s of space.
  const rocksdb::Status status = db_->Resume();
  if (!status.ok()) return false;
  needs_resume_ = false;
  resumes_.fetch_add(1, std::memory_order_relaxed);
  fmt::print(stderr, "weir storage: writes resumed after an earlier write failure\n");
  return true;
}

void CommitPipeline::sync_if_interval_elapsed() {
  if (!unsynced_writes_ || Clock::now() < last_sync_ + settings_.flush_interval) return;
  const rocksdb::Status status = sync_wal();
  if (!status.ok()) {
    // Keep unsynced_writes_: the next interval tries again.
    fmt::print(stderr, "weir storage: WAL fsync failed: {}\n", status.ToString());
    last_sync_ = Clock::now();
    return;
  }
  unsynced_writes_ = false;
  last_sync_ = Clock::now();
  interval_syncs_.fetch_add(1, std::memory_order_relaxed);
}

rocksdb::Status CommitPipeline::sync_wal() {
  const auto started = Clock::now();
  rocksdb::Status status = db_->SyncWAL();
  if (status.ok() && settings_.observer != nullptr)
    settings_.observer->wal_synced(Clock::now() - started);
  return status;
}

void CommitPipeline::commit(std::span<Append> group) {
  ++group_number_;
  write_batch_.Clear();
  touched_.clear();
  producer_undo_.clear();
  expire_producers(wall_clock_ms());
  bool sync = false;
  bool duplicate_wants_sync = false;
  bool write_failed = false;
  std::uint64_t group_bytes = 0;

  for (Append& append : group) {
    PartitionLog* log = append.log;
    if (log == nullptr || log->deleted()) {
      append.error = StorageErrc::unknown_topic_or_partition;
      continue;
    }
    // Recovery recomputes the next offset from the stored header's last offset delta, so
    // a caller that passed another value would get offsets that overlap after a restart.
    if (append.batch.size() < keys::batch::header_size || append.last_offset_delta < 0 ||
        static_cast<std::int32_t>(keys::get_u32(reinterpret_cast<const char*>(append.batch.data()) +
                                                keys::batch::last_offset_delta_at)) !=
            append.last_offset_delta) {
      append.error = StorageErrc::storage_error;
      continue;
    }
    if (!check_producer(append)) {
      if (append.duplicate && append.durability == Durability::synced) duplicate_wants_sync = true;
      continue;
    }
    if (log->group_ != group_number_) {
      log->group_ = group_number_;
      log->group_start_next_offset_ = log->next_offset_;
      log->group_start_max_timestamp_ = log->max_timestamp_;
      touched_.push_back(log);
    }
    const std::int64_t base_offset = log->next_offset_;
    log->next_offset_ = base_offset + append.last_offset_delta + 1;
    append.base_offset = base_offset;
    keys::put_u64(reinterpret_cast<char*>(append.batch.data()) + keys::batch::base_offset_at,
                  static_cast<std::uint64_t>(base_offset));

    const auto log_key =
        keys::offset_key(log->key_prefix_, static_cast<std::uint64_t>(base_offset));
    rocksdb::Status status = write_batch_.Put(
        log_, rocksdb::Slice(log_key.data(), log_key.size()),
        rocksdb::Slice(reinterpret_cast<const char*>(append.batch.data()), append.batch.size()));
    // Kafka's time index: an entry only when the partition's running max grows, so the
    // index stays monotonic and a lookup is one seek.
    if (status.ok() && append.max_timestamp > log->max_timestamp_) {
      log->max_timestamp_ = append.max_timestamp;
      const auto time_key =
          keys::offset_key(log->key_prefix_, keys::timestamp_to_key(append.max_timestamp));
      char offset_value[8];
      keys::put_u64(offset_value, static_cast<std::uint64_t>(base_offset));
      status = write_batch_.Put(timeindex_, rocksdb::Slice(time_key.data(), time_key.size()),
                                rocksdb::Slice(offset_value, sizeof offset_value));
    }
    if (status.ok()) status = record_producer(append);
    if (!status.ok()) {
      fmt::print(stderr, "weir storage: cannot add a batch to the write batch: {}\n",
                 status.ToString());
      write_failed = true;
      break;
    }
    if (append.durability == Durability::synced) sync = true;
    group_bytes += append.batch.size();
  }
  sync = group_needs_sync(sync || duplicate_wants_sync);

  if (!write_failed && !touched_.empty()) {
    if (!resume_if_needed()) {
      write_failed = true;
    } else {
      rocksdb::WriteOptions options;
      options.sync = sync;
      const auto write_started = Clock::now();
      const rocksdb::Status status = db_->Write(options, &write_batch_);
      if (status.ok() && sync && settings_.observer != nullptr)
        settings_.observer->wal_synced(Clock::now() - write_started);
      if (!status.ok()) {
        fmt::print(stderr, "weir storage: group commit failed: {}\n", status.ToString());
        write_failed = true;
        needs_resume_ = true;
      } else if (sync) {
        unsynced_writes_ = false;
        last_sync_ = Clock::now();
      } else {
        unsynced_writes_ = true;
      }
      groups_.fetch_add(1, std::memory_order_relaxed);
      if (sync) synced_groups_.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (!write_failed && sync && unsynced_writes_) {
    // Only retries in this group: the original of an acks=all retry may have been written
    // unsynced (acks=1), so the retry's answer waits for the fsync it asked for.
    const rocksdb::Status status = sync_wal();
    if (!status.ok()) {
      fmt::print(stderr, "weir storage: WAL sync failed: {}\n", status.ToString());
      write_failed = true;
    } else {
      unsynced_writes_ = false;
      last_sync_ = Clock::now();
    }
  }

  const std::int64_t append_time_ms = wall_clock_ms();
  if (write_failed) {
    failed_groups_.fetch_add(1, std::memory_order_relaxed);
    for (PartitionLog* log : touched_) {
      log->next_offset_ = log->group_start_next_offset_;
      log->max_timestamp_ = log->group_start_max_timestamp_;
    }
    rollback_producers();
  } else {
    // Into the cache before the high watermark moves, so a reader that sees the new
    // watermark finds every batch below it either here or in RocksDB.
    if (tail_cache_ != nullptr && tail_cache_->enabled()) {
      for (Append& append : group) {
        if (append.error != StorageErrc::ok || append.duplicate) continue;
        const std::int64_t next_offset = append.base_offset + append.last_offset_delta + 1;
        tail_cache_->add(append.log->tail_, append.base_offset, next_offset,
                         std::make_shared<const std::vector<std::byte>>(std::move(append.batch)));
      }
    }
    for (PartitionLog* log : touched_)
      log->high_watermark_.store(log->next_offset_, std::memory_order_release);
    if (!touched_.empty()) commit_sequence_.fetch_add(1, std::memory_order_acq_rel);
    std::uint64_t committed = 0;
    for (const Append& append : group)
      committed += append.error == StorageErrc::ok && !append.duplicate ? 1 : 0;
    appends_.fetch_add(committed, std::memory_order_relaxed);
    bytes_.fetch_add(group_bytes, std::memory_order_relaxed);
    if (!touched_.empty() && settings_.observer != nullptr)
      settings_.observer->group_written(committed, group_bytes);
  }

  for (Append& append : group) {
    AppendResult result;
    if (append.log != nullptr) result.log_start_offset = append.log->log_start_offset();
    if (append.error != StorageErrc::ok) {
      result.error = append.error;
    } else if (write_failed) {
      result.error = StorageErrc::storage_error;
    } else if (append.duplicate) {
      // Kafka answers a duplicate with the original offset and no append time.
      result.base_offset = append.base_offset;
      result.duplicate = true;
    } else {
      result.base_offset = append.base_offset;
      result.log_append_time_ms = append_time_ms;
    }
    append.done(result);
  }

  if (!write_failed && !touched_.empty()) {
    std::lock_guard lock(listener_mutex_);
    if (listener_) listener_();
  }
}

bool CommitPipeline::check_producer(Append& append) {
  if (producer_state_.column == nullptr) return true;
  const char* header = reinterpret_cast<const char*>(append.batch.data());
  append.producer_id =
      static_cast<std::int64_t>(keys::get_u64(header + keys::batch::producer_id_at));
  if (append.producer_id < 0) return true;
  append.producer_epoch = static_cast<std::int16_t>(
      (static_cast<unsigned char>(header[keys::batch::producer_epoch_at]) << 8) |
      static_cast<unsigned char>(header[keys::batch::producer_epoch_at + 1]));
  append.base_sequence =
      static_cast<std::int32_t>(keys::get_u32(header + keys::batch::base_sequence_at));

  ProducerEntry* entry = append.log->producers_.find(append.producer_id);
  // State recovered at open is not in the periodic expiry scan: check its age here so it
  // expires exactly as if it were.
  if (entry != nullptr && wall_clock_ms() - entry->last_append_ms > producer_state_.expiration_ms) {
    producer_undo_.push_back(ProducerUndo{append.log, append.producer_id, *entry});
    append.log->producers_.erase(append.producer_id);
    entry = nullptr;
  }
  const SequenceCheck check =
      check_sequence(entry, append.producer_epoch, append.base_sequence,
                     last_sequence_of(append.base_sequence, append.last_offset_delta));
  switch (check.verdict) {
    case SequenceVerdict::append:
      return true;
    case SequenceVerdict::duplicate:
      append.duplicate = true;
      append.base_offset = check.original.base_offset;
      return false;
    case SequenceVerdict::out_of_order_sequence:
      append.error = StorageErrc::out_of_order_sequence;
      return false;
    case SequenceVerdict::invalid_producer_epoch:
      append.error = StorageErrc::invalid_producer_epoch;
      return false;
  }
  return false;
}

rocksdb::Status CommitPipeline::record_producer(const Append& append) {
  if (producer_state_.column == nullptr || append.producer_id < 0) return rocksdb::Status::OK();
  PartitionLog* log = append.log;
  ProducerEntry* existing = log->producers_.find(append.producer_id);
  producer_undo_.push_back(ProducerUndo{
      log, append.producer_id, existing ? std::optional<ProducerEntry>(*existing) : std::nullopt});
  ProducerEntry& entry = log->producers_.get_or_create(append.producer_id);
  const ProducerBatch batch{append.base_sequence,
                            last_sequence_of(append.base_sequence, append.last_offset_delta),
                            append.base_offset, append.last_offset_delta};
  record_batch(entry, append.producer_epoch, batch, wall_clock_ms());
  if (!log->in_producer_expiry_scan_) {
    log->in_producer_expiry_scan_ = true;
    logs_with_producers_.push_back(log);
  }
  const auto key = producer_key(log->key_prefix_, append.producer_id);
  return write_batch_.Put(producer_state_.column, rocksdb::Slice(key.data(), key.size()),
                          encode_entry(entry));
}

void CommitPipeline::rollback_producers() {
  // Newest first, so an entry touched twice in the group ends as it was before it.
  for (auto it = producer_undo_.rbegin(); it != producer_undo_.rend(); ++it) {
    if (it->previous) {
      it->log->producers_.restore(it->producer_id, *it->previous);
    } else {
      it->log->producers_.erase(it->producer_id);
    }
  }
  producer_undo_.clear();
}

void CommitPipeline::expire_producers(std::int64_t now_ms) {
  if (producer_state_.column == nullptr || now_ms < next_expiry_scan_ms_) return;
  // Kafka checks every 10 minutes (producer.id.expiration.check.interval.ms); a shorter
  // expiration is checked as often as it can take effect.
  constexpr std::int64_t max_check_interval_ms = 600000;
  next_expiry_scan_ms_ =
      now_ms + std::clamp<std::int64_t>(producer_state_.expiration_ms, 1, max_check_interval_ms);
  for (PartitionLog* log : logs_with_producers_) {
    for (const std::int64_t producer_id :
         log->producers_.expire(now_ms, producer_state_.expiration_ms)) {
      const auto key = producer_key(log->key_prefix_, producer_id);
      write_batch_.Delete(producer_state_.column, rocksdb::Slice(key.data(), key.size()));
    }
  }
}

}  // namespace weir::storage
