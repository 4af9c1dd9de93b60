// The `offsets` column family: consumer groups' committed offsets and membership records.
//
// Keys (integers big-endian):
//   group prefix  = group_id length u32 ‖ group_id
//   membership    = group prefix ‖ 0x00
//   offset        = group prefix ‖ 0x01 ‖ topic length u32 ‖ topic ‖ partition u32
// A length-prefixed group id makes every group's keys one contiguous range that no other
// group's keys fall into, so deleting a group is a single DeleteRange.
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "storage/db_options.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace weir::storage {
namespace {

constexpr char membership_kind = 0x00;
constexpr char offset_kind = 0x01;
constexpr char past_last_kind = 0x02;
constexpr std::uint8_t offset_record_version = 1;

void append_u32(std::string& out, std::uint32_t value) {
  char bytes[4];
  keys::put_u32(bytes, value);
  out.append(bytes, 4);
}

void append_u64(std::string& out, std::uint64_t value) {
  char bytes[8];
  keys::put_u64(bytes, value);
  out.append(bytes, 8);
}

std::string group_key(std::string_view group_id, char kind) {
  std::string key;
  append_u32(key, static_cast<std::uint32_t>(group_id.size()));
  key.append(group_id);
  key.push_back(kind);
  return key;
}

std::string offset_key(std::string_view group_id, std::string_view topic, std::int32_t partition) {
  std::string key = group_key(group_id, offset_kind);
  append_u32(key, static_cast<std::uint32_t>(topic.size()));
  key.append(topic);
  append_u32(key, static_cast<std::uint32_t>(partition));
  return key;
}

std::string encode_offset(const CommittedOffset& offset) {
  std::string value;
  value.push_back(static_cast<char>(offset_record_version));
  append_u64(value, static_cast<std::uint64_t>(offset.offset));
  append_u32(value, static_cast<std::uint32_t>(offset.leader_epoch));
  append_u64(value, static_cast<std::uint64_t>(offset.commit_timestamp_ms));
  append_u32(value, static_cast<std::uint32_t>(offset.metadata.size()));
  value.append(offset.metadata);
  return value;
}

// A bounds-checked cursor over a key or value.
struct Cursor {
  std::string_view data;
  bool ok = true;

  std::string_view take(std::size_t n) {
    if (!ok || data.size() < n) {
      ok = false;
      return {};
    }
    std::string_view taken = data.substr(0, n);
    data.remove_prefix(n);
    return taken;
  }
  std::uint32_t u32() {
    auto bytes = take(4);
    return ok ? keys::get_u32(bytes.data()) : 0;
  }
  std::uint64_t u64() {
    auto bytes = take(8);
    return ok ? keys::get_u64(bytes.data()) : 0;
  }
  std::string_view sized() { return take(u32()); }
};

bool decode_offset(Cursor key, std::string_view value, CommittedOffset* out) {
  out->topic = std::string(key.sized());
  out->partition = static_cast<std::int32_t>(key.u32());
  Cursor cursor{value};
  const auto version = cursor.take(1);
  if (!cursor.ok || static_cast<std::uint8_t>(version[0]) != offset_record_version) return false;
  out->offset = static_cast<std::int64_t>(cursor.u64());
  out->leader_epoch = static_cast<std::int32_t>(cursor.u32());
  out->commit_timestamp_ms = static_cast<std::int64_t>(cursor.u64());
  out->metadata = std::string(cursor.sized());
  return key.ok && key.data.empty() && cursor.ok && cursor.data.empty();
}

StorageErrc write(rocksdb::DB* db, rocksdb::WriteBatch& batch) {
  return db->Write(rocksdb::WriteOptions(), &batch).ok() ? StorageErrc::ok
                                                         : StorageErrc::storage_error;
}

rocksdb::ColumnFamilyHandle* find_column(const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
  for (auto* handle : handles)
    if (handle->GetName() == offsets_column) return handle;
  return nullptr;
}

}  // namespace

StorageErrc Store::put_group_membership(std::string_view group_id, std::string_view membership) {
  rocksdb::WriteBatch batch;
  batch.Put(find_column(handles_), group_key(group_id, membership_kind), membership);
  return write(db_.get(), batch);
}

StorageErrc Store::put_committed_offsets(std::string_view group_id,
                                         const std::vector<CommittedOffset>& offsets) {
  rocksdb::ColumnFamilyHandle* column = find_column(handles_);
  rocksdb::WriteBatch batch;
  for (const auto& offset : offsets)
    batch.Put(column, offset_key(group_id, offset.topic, offset.partition), encode_offset(offset));
  return write(db_.get(), batch);
}

StorageErrc Store::delete_committed_offsets(std::string_view group_id,
                                            const std::vector<TopicPartitionName>& partitions) {
  rocksdb::ColumnFamilyHandle* column = find_column(handles_);
  rocksdb::WriteBatch batch;
  for (const auto& partition : partitions)
    batch.Delete(column, offset_key(group_id, partition.topic, partition.partition));
  return write(db_.get(), batch);
}

StorageErrc Store::delete_group(std::string_view group_id) {
  rocksdb::WriteBatch batch;
  batch.DeleteRange(find_column(handles_), group_key(group_id, membership_kind),
                    group_key(group_id, past_last_kind));
  return write(db_.get(), batch);
}

StorageErrc Store::load_groups(std::vector<StoredGroup>* groups) const {
  groups->clear();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), find_column(handles_)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Cursor key{std::string_view(it->key().data(), it->key().size())};
    const std::string_view group_id = key.sized();
    const std::string_view kind = key.take(1);
    if (!key.ok) return StorageErrc::storage_error;
    if (groups->empty() || groups->back().group_id != group_id)
      groups->push_back(StoredGroup{std::string(group_id), {}, {}});
    const std::string_view value(it->value().data(), it->value().size());
    if (kind[0] == membership_kind && key.data.empty()) {
      groups->back().membership = std::string(value);
    } else if (kind[0] == offset_kind) {
      CommittedOffset offset;
      if (!decode_offset(key, value, &offset)) return StorageErrc::storage_error;
      groups->back().offsets.push_back(std::move(offset));
    } else {
      return StorageErrc::storage_error;
    }
  }
  return it->status().ok() ? StorageErrc::ok : StorageErrc::storage_error;
}

}  // namespace weir::storage
