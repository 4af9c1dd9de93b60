// The Store's idempotent producer support: producer id allocation and recovery of the
// `producers` column family at open.
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <unordered_map>

#include "storage/keys.h"
#include "storage/producer_state.h"
#include "storage/store.h"

namespace weir::storage {
namespace {

// `meta` key: u64, the first producer id not yet reserved.
constexpr std::string_view producer_id_block_end_key = "producer_id_block_end";
// Ids reserved per synced write. Kafka's ProducerIdManager hands out blocks of 1000 too.
constexpr std::int64_t producer_id_block_size = 1000;

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string encode_u64(std::int64_t value) {
  std::string out(8, '\0');
  keys::put_u64(out.data(), static_cast<std::uint64_t>(value));
  return out;
}

}  // namespace

bool Store::load_producer_state(std::string* error) {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), meta_, producer_id_block_end_key, &value);
  if (status.ok() && value.size() == 8) {
    producer_id_block_end_ = static_cast<std::int64_t>(keys::get_u64(value.data()));
  } else if (!status.IsNotFound()) {
    *error = "cannot read the producer id counter: " +
             (status.ok() ? std::string("bad length") : status.ToString());
    return false;
  }
  // Ids up to the reserved end may have been handed out before a crash: start after them.
  next_producer_id_ = producer_id_block_end_;

  std::unordered_map<std::uint32_t, std::string> topic_names;
  for (const TopicDescription& topic : list_topics())
    topic_names.emplace(topic.internal_id, topic.name);

  const std::int64_t now_ms = wall_clock_ms();
  rocksdb::WriteBatch stale;  // expired entries and entries of topics that no longer exist
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), producers_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != producer_key_size) {
      *error = "corrupt key in the producers column family";
      return false;
    }
    const auto decoded = decode_entry(it->value().ToStringView());
    if (!decoded) {
      *error = "corrupt idempotent producer state in the producers column family";
      return false;
    }
    const auto found = topic_names.find(keys::get_u32(key.data()));
    PartitionLog* log =
        found == topic_names.end()
            ? nullptr
            : partition(found->second, static_cast<std::int32_t>(keys::get_u32(key.data() + 4)));
    if (log == nullptr || now_ms - decoded->last_append_ms > options_.producer_id_expiration_ms) {
      stale.Delete(producers_, key);
      continue;
    }
    log->producers_.restore(static_cast<std::int64_t>(keys::get_u64(key.data() + 8)), *decoded);
  }
  if (!it->status().ok()) {
    *error = "cannot read the producers column family: " + it->status().ToString();
    return false;
  }
  if (stale.Count() > 0 && !db_->Write(rocksdb::WriteOptions(), &stale).ok()) {
    *error = "cannot drop expired idempotent producer state";
    return false;
  }
  return true;
}

StorageErrc Store::allocate_producer_id(std::int64_t* producer_id) {
  std::lock_guard lock(producer_id_mutex_);
  if (next_producer_id_ >= producer_id_block_end_) {
    const std::int64_t block_end = next_producer_id_ + producer_id_block_size;
    rocksdb::WriteOptions synced;
    synced.sync = true;
    if (!db_->Put(synced, meta_, producer_id_block_end_key, encode_u64(block_end)).ok())
      return StorageErrc::storage_error;
    producer_id_block_end_ = block_end;
  }
  *producer_id = next_producer_id_++;
  return StorageErrc::ok;
}

}  // namespace weir::storage
