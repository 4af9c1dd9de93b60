#include "storage/producer_state.h"

#include <cstring>
#include <limits>

#include "storage/keys.h"

namespace weir::storage {
namespace {

constexpr std::uint8_t entry_version = 1;
// version u8, epoch u16, last_append_ms u64, batch count u8
constexpr std::size_t entry_header_size = 1 + 2 + 8 + 1;
// first_sequence u32, last_sequence u32, base_offset u64, last_offset_delta u32
constexpr std::size_t batch_record_size = 4 + 4 + 8 + 4;

bool in_sequence(std::int32_t last_sequence, std::int32_t next_sequence) {
  return static_cast<std::int64_t>(next_sequence) == static_cast<std::int64_t>(last_sequence) + 1 ||
         (next_sequence == 0 && last_sequence == std::numeric_limits<std::int32_t>::max());
}

}  // namespace

std::int32_t last_sequence_of(std::int32_t first_sequence, std::int32_t last_offset_delta) {
  const std::int64_t last = static_cast<std::int64_t>(first_sequence) + last_offset_delta;
  const std::int64_t max = std::numeric_limits<std::int32_t>::max();
  return static_cast<std::int32_t>(last > max ? last - max - 1 : last);
}

SequenceCheck check_sequence(const ProducerEntry* entry, std::int16_t epoch,
                             std::int32_t first_sequence, std::int32_t last_sequence) {
  SequenceCheck result;
  // No entry: a new producer, or one whose state expired; Kafka (since KIP-360) accepts
  // any sequence then rather than answering UNKNOWN_PRODUCER_ID.
  if (entry == nullptr || entry->epoch < 0) return result;
  if (epoch == entry->epoch) {
    for (const ProducerBatch& batch : entry->batches) {
      if (batch.first_sequence == first_sequence && batch.last_sequence == last_sequence) {
        result.verdict = SequenceVerdict::duplicate;
        result.original = batch;
        return result;
      }
    }
  }
  if (epoch < entry->epoch) {
    result.verdict = SequenceVerdict::invalid_producer_epoch;
  } else if (epoch > entry->epoch) {
    if (first_sequence != 0) result.verdict = SequenceVerdict::out_of_order_sequence;
  } else if (!entry->batches.empty() &&
             !in_sequence(entry->batches.back().last_sequence, first_sequence)) {
    result.verdict = SequenceVerdict::out_of_order_sequence;
  }
  return result;
}

void record_batch(ProducerEntry& entry, std::int16_t epoch, const ProducerBatch& batch,
                  std::int64_t now_ms) {
  if (epoch != entry.epoch) {
    entry.epoch = epoch;
    entry.batches.clear();
  }
  if (entry.batches.size() == ProducerEntry::max_batches)
    entry.batches.erase(entry.batches.begin());
  entry.batches.push_back(batch);
  entry.last_append_ms = now_ms;
}

std::string encode_entry(const ProducerEntry& entry) {
  std::string value(entry_header_size + entry.batches.size() * batch_record_size, '\0');
  char* out = value.data();
  out[0] = static_cast<char>(entry_version);
  out[1] = static_cast<char>((static_cast<std::uint16_t>(entry.epoch) >> 8) & 0xff);
  out[2] = static_cast<char>(static_cast<std::uint16_t>(entry.epoch) & 0xff);
  keys::put_u64(out + 3, static_cast<std::uint64_t>(entry.last_append_ms));
  out[11] = static_cast<char>(entry.batches.size());
  out += entry_header_size;
  for (const ProducerBatch& batch : entry.batches) {
    keys::put_u32(out, static_cast<std::uint32_t>(batch.first_sequence));
    keys::put_u32(out + 4, static_cast<std::uint32_t>(batch.last_sequence));
    keys::put_u64(out + 8, static_cast<std::uint64_t>(batch.base_offset));
    keys::put_u32(out + 16, static_cast<std::uint32_t>(batch.last_offset_delta));
    out += batch_record_size;
  }
  return value;
}

std::optional<ProducerEntry> decode_entry(std::string_view value) {
  if (value.size() < entry_header_size || static_cast<std::uint8_t>(value[0]) != entry_version)
    return std::nullopt;
  const std::size_t count = static_cast<std::uint8_t>(value[11]);
  if (count > ProducerEntry::max_batches ||
      value.size() != entry_header_size + count * batch_record_size)
    return std::nullopt;
  ProducerEntry entry;
  entry.epoch = static_cast<std::int16_t>((static_cast<std::uint8_t>(value[1]) << 8) |
                                          static_cast<std::uint8_t>(value[2]));
  entry.last_append_ms = static_cast<std::int64_t>(keys::get_u64(value.data() + 3));
  const char* in = value.data() + entry_header_size;
  for (std::size_t i = 0; i < count; ++i, in += batch_record_size) {
    ProducerBatch batch;
    batch.first_sequence = static_cast<std::int32_t>(keys::get_u32(in));
    batch.last_sequence = static_cast<std::int32_t>(keys::get_u32(in + 4));
    batch.base_offset = static_cast<std::int64_t>(keys::get_u64(in + 8));
    batch.last_offset_delta = static_cast<std::int32_t>(keys::get_u32(in + 16));
    entry.batches.push_back(batch);
  }
  return entry;
}

std::array<char, producer_key_size> producer_key(const std::array<char, 8>& partition_prefix,
                                                 std::int64_t producer_id) {
  std::array<char, producer_key_size> key;
  std::memcpy(key.data(), partition_prefix.data(), partition_prefix.size());
  keys::put_u64(key.data() + partition_prefix.size(), static_cast<std::uint64_t>(producer_id));
  return key;
}

ProducerEntry* ProducerStateTable::find(std::int64_t producer_id) {
  auto found = entries_.find(producer_id);
  return found == entries_.end() ? nullptr : &found->second;
}

std::vector<std::int64_t> ProducerStateTable::expire(std::int64_t now_ms,
                                                     std::int64_t expiration_ms) {
  std::vector<std::int64_t> expired;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now_ms - it->second.last_append_ms > expiration_ms) {
      expired.push_back(it->first);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

}  // namespace weir::storage
