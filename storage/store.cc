#include "storage/store.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>

#include "storage/commit_pipeline.h"
#include "storage/db_options.h"
#include "storage/keys.h"
#include "storage/metadata.h"
#include "storage/reader_pool.h"
#include "storage/tail_cache.h"

namespace weir::storage {

namespace {

bool has_prefix(const rocksdb::Slice& key, const std::array<char, keys::prefix_size>& prefix) {
  return key.size() == keys::log_key_size &&
         std::memcmp(key.data(), prefix.data(), prefix.size()) == 0;
}

rocksdb::Slice as_slice(const std::array<char, keys::log_key_size>& key) {
  return {key.data(), key.size()};
}

// Kafka treats '.' and '_' alike when checking for colliding names (metric names
// replace one with the other).
std::string collision_name(std::string_view name) {
  std::string result(name);
  std::replace(result.begin(), result.end(), '.', '_');
  return result;
}

}  // namespace

bool valid_topic_name(std::string_view name) { return metadata::is_valid_topic_name(name); }

PartitionLog::PartitionLog(std::shared_ptr<const TopicDescription> topic, std::int32_t partition)
    : topic_(std::move(topic)),
      partition_(partition),
      key_prefix_(
          keys::partition_prefix(topic_->internal_id, static_cast<std::uint32_t>(partition))) {}

Store::Store(const StoreOptions& options) : options_(options) {}

std::unique_ptr<Store> Store::open(const StoreOptions& options, std::string* error) {
  std::unique_ptr<Store> store(new Store(options));
  std::string reason;
  if (!store->open_database(&reason) || !store->load_metadata(&reason) ||
      !store->load_producer_state(&reason)) {
    if (error != nullptr) *error = reason;
    return nullptr;
  }
  CommitPipeline::Settings settings;
  settings.max_group_bytes = std::max<std::size_t>(options.max_group_bytes, 1);
  settings.policy = options.durability_policy;
  settings.flush_interval = std::max(options.flush_interval, std::chrono::milliseconds(1));
  settings.observer = options.commit_observer;
  store->tail_cache_ = std::make_unique<TailCache>(options.tail_cache_bytes);
  store->pipeline_ = std::make_unique<CommitPipeline>(
      store->db_.get(), store->log_, store->timeindex_, store->tail_cache_.get(), settings,
      ProducerStateOptions{store->producers_, options.producer_id_expiration_ms});
  store->readers_ = std::make_unique<ReaderPool>(options.reader_threads);
  store->start_retention();
  return store;
}

Store::~Store() {
  stop_retention();
  readers_.reset();
  if (pipeline_) pipeline_->stop();
  pipeline_.reset();
  if (!db_) return;
  // Flushing the memtables makes the next open replay no WAL; syncing the WAL first makes
  // the acks=1 writes durable against power loss even if the flush fails.
  db_->SyncWAL();
  rocksdb::FlushOptions flush;
  flush.wait = true;
  db_->Flush(flush, handles_);
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  handles_.clear();
  db_->Close();
  db_.reset();
}

bool Store::open_database(std::string* error) {
  // RocksDB creates only the last path component (and logs an error while it looks for
  // it); making the whole path first lets STORAGE_PATH name a folder in a new tree.
  std::error_code ignored;
  std::filesystem::create_directories(options_.path, ignored);
  const rocksdb::DBOptions db_options = make_db_options(options_);
  std::vector<rocksdb::ColumnFamilyDescriptor> columns = make_column_families(options_);
  columns.emplace_back(rocksdb::kDefaultColumnFamilyName, columns[1].options);
  // A database written by a newer Weir may hold column families this one does not know;
  // RocksDB opens a database only with all of them named.
  std::vector<std::string> existing;
  const bool is_new = !rocksdb::DB::ListColumnFamilies(db_options, options_.path, &existing).ok();
  for (const auto& name : existing) {
    const bool known =
        std::any_of(columns.begin(), columns.end(), [&](const auto& c) { return c.name == name; });
    if (!known) columns.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  rocksdb::DB* db = nullptr;
  if (is_new) {
    // Opening a new database with every column family named creates them one at a time,
    // each rewriting and fsyncing the OPTIONS file. CreateColumnFamilies writes it once:
    // a first start went from 27 to 19 fsyncs and from 130-230 ms to 15-100 ms here.
    std::vector<rocksdb::ColumnFamilyDescriptor> default_only{columns.back()};
    rocksdb::Status status =
        rocksdb::DB::Open(db_options, options_.path, default_only, &handles_, &db);
    if (status.ok()) {
      columns.pop_back();
      std::vector<rocksdb::ColumnFamilyHandle*> created;
      status = db->CreateColumnFamilies(columns, &created);
      handles_.insert(handles_.end(), created.begin(), created.end());
    }
    if (!status.ok()) {
      if (db != nullptr) {
        for (auto* handle : handles_) db->DestroyColumnFamilyHandle(handle);
        handles_.clear();
        delete db;
      }
      *error = status.ToString();
      return false;
    }
  } else {
    const rocksdb::Status status =
        rocksdb::DB::Open(db_options, options_.path, columns, &handles_, &db);
    if (!status.ok()) {
      *error = status.ToString();
      return false;
    }
  }
  db_.reset(db);
  for (auto* handle : handles_) {
    if (handle->GetName() == log_column) log_ = handle;
    if (handle->GetName() == meta_column) meta_ = handle;
    if (handle->GetName() == timeindex_column) timeindex_ = handle;
    if (handle->GetName() == producers_column) producers_ = handle;
  }
  return true;
}

bool Store::load_metadata(std::string* error) {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), meta_, metadata::format_version_key, &value);
  if (status.IsNotFound()) {
    // First open: the format version, the cluster id and the id counter land together.
    rocksdb::WriteBatch batch;
    batch.Put(meta_, metadata::format_version_key, metadata::encode_u32(metadata::format_version));
    batch.Put(meta_, metadata::cluster_id_key, metadata::to_kafka_base64(metadata::random_uuid()));
    batch.Put(meta_, metadata::next_topic_id_key, metadata::encode_u32(next_internal_id_));
    rocksdb::WriteOptions synced;
    synced.sync = true;
    status = db_->Write(synced, &batch);
    if (!status.ok()) {
      *error = "cannot initialise the database: " + status.ToString();
      return false;
    }
  } else if (!status.ok()) {
    *error = status.ToString();
    return false;
  } else {
    const auto version = metadata::decode_u32(value);
    if (!version || *version > metadata::format_version) {
      *error = "the database was written by a newer Weir (format version " +
               (version ? std::to_string(*version) : std::string("unreadable")) + ")";
      return false;
    }
  }

  status = db_->Get(rocksdb::ReadOptions(), meta_, metadata::cluster_id_key, &cluster_id_);
  if (!status.ok()) {
    *error = "cannot read the cluster id: " + status.ToString();
    return false;
  }
  status = db_->Get(rocksdb::ReadOptions(), meta_, metadata::next_topic_id_key, &value);
  const auto next_id = status.ok() ? metadata::decode_u32(value) : std::nullopt;
  if (!next_id) {
    *error = "cannot read the next topic id: " + status.ToString();
    return false;
  }
  next_internal_id_ = *next_id;

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->Seek(metadata::topic_key_prefix);
       it->Valid() && it->key().starts_with(metadata::topic_key_prefix); it->Next()) {
    const std::string_view name(it->key().data() + metadata::topic_key_prefix.size(),
                                it->key().size() - metadata::topic_key_prefix.size());
    auto decoded = metadata::decode_topic(name, it->value().ToStringView());
    if (!decoded) {
      *error = "corrupt metadata for topic '" + std::string(name) + "'";
      return false;
    }
    auto topic = std::make_unique<Topic>();
    topic->description = std::make_shared<const TopicDescription>(std::move(*decoded));
    if (!recover_partitions(*topic, error)) return false;
    next_internal_id_ = std::max(next_internal_id_, topic->description->internal_id + 1);
    collision_names_.insert(collision_name(topic->description->name));
    insert_topic(std::move(topic));
  }
  if (!it->status().ok()) {
    *error = "cannot read the topics: " + it->status().ToString();
    return false;
  }
  return true;
}

// Two seeks in `log` (last and first batch) and one in `timeindex` per partition: the
// open time grows with the partition count, not with the data.
bool Store::recover_partitions(Topic& topic, std::string* error) {
  std::unique_ptr<rocksdb::Iterator> log_it(db_->NewIterator(rocksdb::ReadOptions(), log_));
  std::unique_ptr<rocksdb::Iterator> time_it(db_->NewIterator(rocksdb::ReadOptions(), timeindex_));
  const std::uint64_t last_key = std::numeric_limits<std::uint64_t>::max();
  topic.partitions.reserve(static_cast<std::size_t>(topic.description->partition_count));
  for (std::int32_t index = 0; index < topic.description->partition_count; ++index) {
    auto log = std::make_unique<PartitionLog>(topic.description, index);
    const auto& prefix = log->key_prefix_;

    log_it->SeekForPrev(as_slice(keys::offset_key(prefix, last_key)));
    if (log_it->Valid() && has_prefix(log_it->key(), prefix)) {
      const rocksdb::Slice last = log_it->value();
      if (last.size() < keys::batch::header_size) {
        *error = "corrupt last batch in " + topic.description->name + "-" + std::to_string(index);
        return false;
      }
      const auto base_offset =
          static_cast<std::int64_t>(keys::get_u64(log_it->key().data() + keys::prefix_size));
      const auto last_offset_delta =
          static_cast<std::int32_t>(keys::get_u32(last.data() + keys::batch::last_offset_delta_at));
      log->next_offset_ = base_offset + last_offset_delta + 1;

      log_it->Seek(as_slice(keys::offset_key(prefix, 0)));
      if (log_it->Valid() && has_prefix(log_it->key(), prefix))
        log->log_start_offset_.store(
            static_cast<std::int64_t>(keys::get_u64(log_it->key().data() + keys::prefix_size)));
    }
    if (!log_it->status().ok()) {
      *error = "cannot recover " + topic.description->name + ": " + log_it->status().ToString();
      return false;
    }
    // A deletion stores the log start offset it moved to: it may lie inside the first
    // remaining batch, or at the high watermark of a partition it emptied.
    std::string start_value;
    const rocksdb::Status start_status = db_->Get(
        rocksdb::ReadOptions(), meta_,
        metadata::log_start_key(topic.description->internal_id, static_cast<std::uint32_t>(index)),
        &start_value);
    if (start_status.ok() && start_value.size() == 8) {
      const auto stored_start = static_cast<std::int64_t>(keys::get_u64(start_value.data()));
      log->log_start_offset_.store(std::max(log->log_start_offset_.load(), stored_start));
      log->next_offset_ = std::max(log->next_offset_, stored_start);
    } else if (!start_status.ok() && !start_status.IsNotFound()) {
      *error = "cannot recover the log start offset of " + topic.description->name + ": " +
               start_status.ToString();
      return false;
    }
    log->high_watermark_.store(log->next_offset_);

    time_it->SeekForPrev(as_slice(keys::offset_key(prefix, last_key)));
    if (time_it->Valid() && has_prefix(time_it->key(), prefix))
      log->max_timestamp_ =
          keys::timestamp_from_key(keys::get_u64(time_it->key().data() + keys::prefix_size));
    if (!time_it->status().ok()) {
      *error = "cannot recover the time index of " + topic.description->name + ": " +
               time_it->status().ToString();
      return false;
    }
    topic.partitions.push_back(std::move(log));
  }
  return true;
}

void Store::insert_topic(std::unique_ptr<Topic> topic) {
  Topic* raw = topic.get();
  topics_by_id_.emplace(raw->description->topic_id, raw);
  topics_by_name_.emplace(raw->description->name, std::move(topic));
}

std::string Store::cluster_id() const { return cluster_id_; }

StorageErrc Store::create_topic(std::string_view name, std::int32_t partitions,
                                std::map<std::string, std::string> configs,
                                TopicDescription* created) {
  if (!metadata::is_valid_topic_name(name)) return StorageErrc::invalid_topic_name;
  if (partitions <= 0 || partitions > options_.max_partitions_per_topic)
    return StorageErrc::invalid_partitions;

  std::lock_guard create_lock(create_mutex_);
  auto description = std::make_shared<TopicDescription>();
  {
    std::shared_lock lock(topics_mutex_);
    if (topics_by_name_.find(name) != topics_by_name_.end())
      return StorageErrc::topic_already_exists;
    // Random v4 ids cannot realistically collide, but a duplicate would make
    // find_topic(id) ambiguous, so draw again if it ever happens.
    do {
      description->topic_id = metadata::random_uuid();
    } while (topics_by_id_.count(description->topic_id) != 0);
  }
  const std::string collides_as = collision_name(name);
  if (collision_names_.count(collides_as) != 0) return StorageErrc::invalid_topic_name;
  if (next_internal_id_ == std::numeric_limits<std::uint32_t>::max())
    return StorageErrc::storage_error;

  description->name = name;
  description->internal_id = next_internal_id_;
  description->partition_count = partitions;
  description->configs = std::move(configs);

  rocksdb::WriteBatch batch;
  batch.Put(meta_, metadata::topic_key(name), metadata::encode_topic(*description));
  batch.Put(meta_, metadata::next_topic_id_key, metadata::encode_u32(next_internal_id_ + 1));
  rocksdb::WriteOptions synced;
  synced.sync = true;
  if (!db_->Write(synced, &batch).ok()) return StorageErrc::storage_error;
  ++next_internal_id_;
  collision_names_.insert(collides_as);

  auto topic = std::make_unique<Topic>();
  topic->description = description;
  topic->partitions.reserve(static_cast<std::size_t>(partitions));
  for (std::int32_t index = 0; index < partitions; ++index)
    topic->partitions.push_back(std::make_unique<PartitionLog>(description, index));
  {
    std::unique_lock lock(topics_mutex_);
    insert_topic(std::move(topic));
  }
  if (created != nullptr) *created = *description;
  return StorageErrc::ok;
}

StorageErrc Store::delete_topic(std::string_view name) {
  std::lock_guard create_lock(create_mutex_);
  std::lock_guard deletion_lock(deletion_mutex_);
  Topic* topic = nullptr;
  {
    std::shared_lock lock(topics_mutex_);
    auto found = topics_by_name_.find(name);
    if (found == topics_by_name_.end()) return StorageErrc::unknown_topic_or_partition;
    topic = found->second.get();
  }
  const std::uint32_t id = topic->description->internal_id;
  // Appends queued from here on fail. One that the writer took a moment before may still
  // land after the range delete; it sits under an internal id no topic will use again.
  for (auto& log : topic->partitions) log->deleted_.store(true, std::memory_order_release);

  const auto first_key = keys::offset_key(keys::partition_prefix(id, 0), 0);
  const auto next_topic_key = keys::offset_key(keys::partition_prefix(id + 1, 0), 0);
  rocksdb::WriteBatch batch;
  rocksdb::Status status = batch.Delete(meta_, metadata::topic_key(name));
  if (status.ok())
    status = batch.DeleteRange(meta_, metadata::log_start_key(id, 0),
                               metadata::log_start_key(id + 1, 0));
  if (status.ok()) status = batch.DeleteRange(log_, as_slice(first_key), as_slice(next_topic_key));
  if (status.ok())
    status = batch.DeleteRange(timeindex_, as_slice(first_key), as_slice(next_topic_key));
  rocksdb::WriteOptions synced;
  synced.sync = true;
  if (status.ok()) status = db_->Write(synced, &batch);
  if (!status.ok()) {
    for (auto& log : topic->partitions) log->deleted_.store(false, std::memory_order_release);
    return StorageErrc::storage_error;
  }
  collision_names_.erase(collision_name(name));
  for (auto& log : topic->partitions) {
    std::lock_guard read_ahead_lock(log->read_ahead_mutex_);
    read_ahead_bytes_.fetch_sub(log->read_ahead_.batch.size(), std::memory_order_relaxed);
    log->read_ahead_ = PartitionLog::ReadAhead{};
  }
  std::unique_lock lock(topics_mutex_);
  topics_by_id_.erase(topic->description->topic_id);
  auto node = topics_by_name_.extract(topics_by_name_.find(name));
  deleted_topics_.push_back(std::move(node.mapped()));
  return StorageErrc::ok;
}

std::optional<TopicDescription> Store::find_topic(std::string_view name) const {
  std::shared_lock lock(topics_mutex_);
  auto found = topics_by_name_.find(name);
  if (found == topics_by_name_.end()) return std::nullopt;
  return *found->second->description;
}

std::optional<TopicDescription> Store::find_topic(const Uuid& topic_id) const {
  std::shared_lock lock(topics_mutex_);
  auto found = topics_by_id_.find(topic_id);
  if (found == topics_by_id_.end()) return std::nullopt;
  return *found->second->description;
}

std::vector<TopicDescription> Store::list_topics() const {
  std::vector<TopicDescription> topics;
  {
    std::shared_lock lock(topics_mutex_);
    topics.reserve(topics_by_name_.size());
    for (const auto& [name, topic] : topics_by_name_) topics.push_back(*topic->description);
  }
  std::sort(topics.begin(), topics.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return topics;
}

PartitionLog* Store::partition(std::string_view topic, std::int32_t partition) {
  std::shared_lock lock(topics_mutex_);
  auto found = topics_by_name_.find(topic);
  if (found == topics_by_name_.end()) return nullptr;
  const auto& partitions = found->second->partitions;
  if (partition < 0 || static_cast<std::size_t>(partition) >= partitions.size()) return nullptr;
  return partitions[static_cast<std::size_t>(partition)].get();
}

void Store::append(PartitionLog* log, std::vector<std::byte> batch, std::int32_t last_offset_delta,
                   std::int64_t max_timestamp, Durability durability,
                   std::function<void(const AppendResult&)> done) {
  pipeline_->append(log, std::move(batch), last_offset_delta, max_timestamp, durability,
                    std::move(done));
}

void Store::probe_commit_pipeline(std::function<void()> answered) {
  // A null log goes through the queue like any append and completes, after the group it
  // lands in, with unknown_topic_or_partition and no write of its own.
  pipeline_->append(nullptr, {}, 0, -1, Durability::written,
                    [answered = std::move(answered)](const AppendResult&) { answered(); });
}

std::optional<ReadResult> Store::read_from_memory(PartitionLog* log, std::int64_t fetch_offset,
                                                  std::int32_t max_bytes) const {
  ReadResult result;
  if (log == nullptr || log->deleted()) {
    result.error = StorageErrc::unknown_topic_or_partition;
    return result;
  }
  // One snapshot of the high watermark bounds the whole read: every batch below it is
  // committed, and a batch being written right now (visible in RocksDB a moment before
  // the watermark moves) is not returned.
  result.high_watermark = log->high_watermark();
  result.log_start_offset = log->log_start_offset();
  if (fetch_offset < result.log_start_offset || fetch_offset > result.high_watermark) {
    result.error = StorageErrc::offset_out_of_range;
    return result;
  }
  if (fetch_offset == result.high_watermark) return result;
  const std::size_t limit = static_cast<std::size_t>(std::max<std::int32_t>(max_bytes, 0));
  if (tail_cache_->read(*log->tail_, fetch_offset, result.high_watermark, limit, &result.records))
    return result;
  return std::nullopt;
}

void Store::submit_read(std::function<void()> job) { readers_->submit(std::move(job)); }

void Store::wait_for_reads() { readers_->wait_idle(); }

ReadResult Store::read(PartitionLog* log, std::int64_t fetch_offset, std::int32_t max_bytes) const {
  if (auto from_memory = read_from_memory(log, fetch_offset, max_bytes))
    return std::move(*from_memory);
  ReadResult result;
  result.high_watermark = log->high_watermark();
  result.log_start_offset = log->log_start_offset();
  // Snapshots again (the watermark only grows; the log start may have moved past us).
  if (fetch_offset < result.log_start_offset) {
    result.error = StorageErrc::offset_out_of_range;
    return result;
  }

  const std::size_t limit = static_cast<std::size_t>(std::max<std::int32_t>(max_bytes, 0));
  std::int64_t next_offset = fetch_offset;
  const bool continues = take_read_ahead(*log, fetch_offset, &result.records, &next_offset);
  if (continues && (result.records.size() >= limit || next_offset >= result.high_watermark))
    return result;

  const auto lower = keys::offset_key(log->key_prefix_, 0);
  const auto upper =
      keys::offset_key(log->key_prefix_, static_cast<std::uint64_t>(result.high_watermark));
  const rocksdb::Slice lower_bound = as_slice(lower);
  const rocksdb::Slice upper_bound = as_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_bound;
  options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, log_));

  const auto from_key = keys::offset_key(log->key_prefix_, static_cast<std::uint64_t>(next_offset));
  if (continues) {
    it->Seek(as_slice(from_key));  // the batch after the kept one starts at next_offset
  } else {
    // The batch containing fetch_offset is the last one whose base offset is <= it.
    it->SeekForPrev(as_slice(from_key));
    if (!it->Valid()) it->Seek(as_slice(from_key));
  }
  for (; it->Valid(); it->Next()) {
    // Positioning the iterator has loaded this batch already, so one that does not fit is
    // kept for the next read rather than thrown away.
    const rocksdb::Slice value = it->value();
    if (!result.records.empty() && result.records.size() + value.size() > limit) {
      keep_read_ahead(*log, it->key(), value);
      break;
    }
    const auto* bytes = reinterpret_cast<const std::byte*>(value.data());
    result.records.insert(result.records.end(), bytes, bytes + value.size());
    if (result.records.size() >= limit) break;
  }
  if (!it->status().ok()) {
    result.error = StorageErrc::storage_error;
    result.records.clear();
  }
  return result;
}

bool Store::take_read_ahead(PartitionLog& log, std::int64_t fetch_offset,
                            std::vector<std::byte>* records, std::int64_t* next_offset) const {
  std::lock_guard lock(log.read_ahead_mutex_);
  PartitionLog::ReadAhead& kept = log.read_ahead_;
  if (kept.batch.empty() || kept.base_offset != fetch_offset) return false;
  read_ahead_bytes_.fetch_sub(kept.batch.size(), std::memory_order_relaxed);
  *records = std::move(kept.batch);
  *next_offset = kept.next_offset;
  kept = PartitionLog::ReadAhead{};
  return true;
}

void Store::keep_read_ahead(PartitionLog& log, const rocksdb::Slice& key,
                            const rocksdb::Slice& batch) const {
  if (key.size() != keys::log_key_size || batch.size() < keys::batch::header_size) return;
  std::lock_guard lock(log.read_ahead_mutex_);
  PartitionLog::ReadAhead& kept = log.read_ahead_;
  // Only the budget bounds how many partitions keep one: a consumer that stops reading
  // leaves its batch here until the partition is read again.
  std::size_t in_use = read_ahead_bytes_.load(std::memory_order_relaxed);
  std::size_t wanted = 0;
  do {
    wanted = in_use - kept.batch.size() + batch.size();
    if (wanted > read_ahead_budget_bytes) return;
  } while (!read_ahead_bytes_.compare_exchange_weak(in_use, wanted, std::memory_order_relaxed));
  const auto base_offset = static_cast<std::int64_t>(keys::get_u64(key.data() + keys::prefix_size));
  const auto last_offset_delta =
      static_cast<std::int32_t>(keys::get_u32(batch.data() + keys::batch::last_offset_delta_at));
  const auto* bytes = reinterpret_cast<const std::byte*>(batch.data());
  kept.base_offset = base_offset;
  kept.next_offset = base_offset + last_offset_delta + 1;
  kept.batch.assign(bytes, bytes + batch.size());
}

std::pair<std::int64_t, std::int64_t> Store::offset_for_timestamp(PartitionLog* log,
                                                                  std::int64_t timestamp) const {
  constexpr std::pair<std::int64_t, std::int64_t> none{-1, -1};
  if (log == nullptr) return none;
  const std::int64_t high_watermark = log->high_watermark();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), timeindex_));
  // The index is monotonic in both timestamp and offset, so the first entry at or above
  // the timestamp names the first batch whose max timestamp reaches it.
  it->Seek(as_slice(keys::offset_key(log->key_prefix_, keys::timestamp_to_key(timestamp))));
  if (!it->Valid() || !has_prefix(it->key(), log->key_prefix_) || it->value().size() != 8)
    return none;
  const auto base_offset = static_cast<std::int64_t>(keys::get_u64(it->value().data()));
  if (base_offset >= high_watermark) return none;  // written a moment ago, not yet committed
  const std::int64_t batch_timestamp =
      keys::timestamp_from_key(keys::get_u64(it->key().data() + keys::prefix_size));
  return {std::max(base_offset, log->log_start_offset()), batch_timestamp};
}

std::pair<std::int64_t, std::int64_t> Store::offset_for_max_timestamp(PartitionLog* log) const {
  constexpr std::pair<std::int64_t, std::int64_t> none{-1, -1};
  if (log == nullptr) return none;
  const std::int64_t high_watermark = log->high_watermark();
  const auto lower = keys::offset_key(log->key_prefix_, 0);
  const rocksdb::Slice lower_bound = as_slice(lower);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, timeindex_));
  it->SeekForPrev(
      as_slice(keys::offset_key(log->key_prefix_, std::numeric_limits<std::uint64_t>::max())));
  // Skip entries of a group being written right now (not yet below the high watermark).
  for (; it->Valid() && has_prefix(it->key(), log->key_prefix_); it->Prev()) {
    if (it->value().size() != 8) return none;
    const auto base_offset = static_cast<std::int64_t>(keys::get_u64(it->value().data()));
    if (base_offset >= high_watermark) continue;
    const std::int64_t timestamp =
        keys::timestamp_from_key(keys::get_u64(it->key().data() + keys::prefix_size));
    // The record with the largest timestamp is usually the batch's last (producers stamp
    // records in order), so answer with the batch's last offset.
    rocksdb::PinnableSlice batch;  // pinned in the cache or memtable, not copied
    const auto log_key =
        keys::offset_key(log->key_prefix_, static_cast<std::uint64_t>(base_offset));
    if (!db_->Get(rocksdb::ReadOptions(), log_, as_slice(log_key), &batch).ok() ||
        batch.size() < keys::batch::header_size)
      return {base_offset, timestamp};
    const auto last_offset_delta =
        static_cast<std::int32_t>(keys::get_u32(batch.data() + keys::batch::last_offset_delta_at));
    return {base_offset + last_offset_delta, timestamp};
  }
  return none;
}

void Store::set_append_listener(std::function<void()> listener) {
  pipeline_->set_append_listener(std::move(listener));
}

CommitStats Store::commit_stats() const { return pipeline_->stats(); }

std::uint64_t Store::commit_sequence() const { return pipeline_->commit_sequence(); }

}  // namespace weir::storage

namespace weir::storage {

// Topic administration. Each change is one synced put of the whole topic record, made
// under create_mutex_ (which serialises every metadata change), and only then published
// in memory, so a crash leaves either the old record or the new one.

StorageErrc Store::update_topic_configs(std::string_view name,
                                        std::map<std::string, std::string> configs) {
  std::lock_guard create_lock(create_mutex_);
  std::shared_ptr<const TopicDescription> current;
  {
    std::shared_lock lock(topics_mutex_);
    auto found = topics_by_name_.find(name);
    if (found == topics_by_name_.end()) return StorageErrc::unknown_topic_or_partition;
    current = found->second->description;
  }
  auto updated = std::make_shared<TopicDescription>(*current);
  updated->configs = std::move(configs);
  rocksdb::WriteOptions synced;
  synced.sync = true;
  if (!db_->Put(synced, meta_, metadata::topic_key(name), metadata::encode_topic(*updated)).ok())
    return StorageErrc::storage_error;
  std::unique_lock lock(topics_mutex_);
  auto found = topics_by_name_.find(name);
  if (found == topics_by_name_.end()) return StorageErrc::unknown_topic_or_partition;
  found->second->description = std::move(updated);
  return StorageErrc::ok;
}

StorageErrc Store::create_partitions(std::string_view name, std::int32_t partition_count) {
  if (partition_count > options_.max_partitions_per_topic) return StorageErrc::invalid_partitions;
  std::lock_guard create_lock(create_mutex_);
  std::shared_ptr<const TopicDescription> current;
  {
    std::shared_lock lock(topics_mutex_);
    auto found = topics_by_name_.find(name);
    if (found == topics_by_name_.end()) return StorageErrc::unknown_topic_or_partition;
    current = found->second->description;
  }
  if (partition_count <= current->partition_count) return StorageErrc::invalid_partitions;
  auto updated = std::make_shared<TopicDescription>(*current);
  updated->partition_count = partition_count;
  rocksdb::WriteOptions synced;
  synced.sync = true;
  if (!db_->Put(synced, meta_, metadata::topic_key(name), metadata::encode_topic(*updated)).ok())
    return StorageErrc::storage_error;

  // Internal ids are never reused, so the new partitions' key ranges hold nothing yet.
  std::vector<std::unique_ptr<PartitionLog>> added;
  for (std::int32_t index = current->partition_count; index < partition_count; ++index)
    added.push_back(std::make_unique<PartitionLog>(updated, index));
  std::unique_lock lock(topics_mutex_);
  auto found = topics_by_name_.find(name);
  if (found == topics_by_name_.end()) return StorageErrc::unknown_topic_or_partition;
  Topic& topic = *found->second;
  topic.description = std::move(updated);
  for (auto& log : added) topic.partitions.push_back(std::move(log));
  return StorageErrc::ok;
}

std::optional<TopicConfig> Store::topic_config(std::string_view name) const {
  std::shared_ptr<const TopicDescription> description;
  {
    std::shared_lock lock(topics_mutex_);
    auto found = topics_by_name_.find(name);
    if (found == topics_by_name_.end()) return std::nullopt;
    description = found->second->description;
  }
  TopicConfig config;
  // Stored overrides were validated when set; one that no longer parses (a key whose
  // rules tightened) falls back to the default rather than making the topic unusable.
  if (parse_topic_config(description->configs, &config)) {
    std::map<std::string, std::string> usable;
    for (const auto& [key, value] : description->configs)
      if (!validate_topic_config(key, value)) usable.emplace(key, value);
    parse_topic_config(usable, &config);
  }
  return config;
}

std::int64_t Store::approximate_partition_bytes(const PartitionLog* log) const {
  if (log == nullptr) return 0;
  const auto start = keys::offset_key(log->key_prefix_, 0);
  const auto limit = keys::offset_key(log->key_prefix_, std::numeric_limits<std::uint64_t>::max());
  rocksdb::Range range(as_slice(start), as_slice(limit));
  rocksdb::SizeApproximationOptions options;
  options.include_memtables = true;
  options.include_files = true;
  std::uint64_t bytes = 0;
  if (!db_->GetApproximateSizes(options, log_, &range, 1, &bytes).ok()) return 0;
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(bytes, std::numeric_limits<std::int64_t>::max()));
}

StorageUsage Store::usage() const {
  StorageUsage usage;
  auto property = [this](const std::string& name) {
    std::uint64_t value = 0;
    return db_->GetAggregatedIntProperty(name, &value) ? value : 0;
  };
  using Properties = rocksdb::DB::Properties;
  usage.live_sst_bytes = property(Properties::kLiveSstFilesSize);
  usage.live_blob_bytes = property(Properties::kLiveBlobFileSize);
  usage.blob_garbage_bytes = property(Properties::kLiveBlobFileGarbageSize);
  usage.blob_garbage_collections = blob_collections_.load(std::memory_order_relaxed);
  usage.pending_compaction_bytes = property(Properties::kEstimatePendingCompactionBytes);
  usage.writes_stopped = property(Properties::kIsWriteStopped) != 0;
  usage.delayed_write_rate = property(Properties::kActualDelayedWriteRate);
  rocksdb::VectorLogPtr wal_files;
  if (db_->GetSortedWalFiles(wal_files).ok())
    for (const auto& file : wal_files) usage.wal_bytes += file->SizeFileBytes();
  // The DB-wide stall time is kept by RocksDB whether or not a Statistics object is set,
  // and read as a map property without resetting anything.
  std::map<std::string, std::string> db_stats;
  if (db_->GetMapProperty(Properties::kDBStats, &db_stats)) {
    auto found = db_stats.find("db.user_write_stall_micros");
    if (found != db_stats.end())
      usage.write_stall_micros = std::strtoull(found->second.c_str(), nullptr, 10);
  }
  return usage;
}

}  // namespace weir::storage
