// Idempotent producer state of one partition: per producer id, the epoch and the last
// five batches it appended, which is what Kafka keeps (ProducerStateEntry) to answer a
// retried batch with its original offsets and to refuse a sequence gap.
//
// Not thread-safe: the commit pipeline's writer thread owns every table (Store::open
// fills them before the writer starts). Pure logic, no RocksDB: the pipeline persists an
// entry with encode_entry in the same WriteBatch as the batch it describes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weir::storage {

// One batch a producer appended: its sequence range and where it landed.
struct ProducerBatch {
  std::int32_t first_sequence = 0;
  std::int32_t last_sequence = 0;
  std::int64_t base_offset = 0;
  std::int32_t last_offset_delta = 0;
};

struct ProducerEntry {
  // Kafka keeps five: a producer has at most five requests in flight per partition
  // (max.in.flight.requests.per.connection), so a retry is always among them.
  static constexpr std::size_t max_batches = 5;

  std::int16_t epoch = -1;
  // Wall clock of the last append, for producer.id.expiration.ms.
  std::int64_t last_append_ms = 0;
  // Oldest first; at most max_batches.
  std::vector<ProducerBatch> batches;
};

// What the sequence check decided for one batch.
enum class SequenceVerdict {
  append,                  // new and in sequence: append it and record it
  duplicate,               // a retry of a recorded batch: answer with its offsets, store nothing
  out_of_order_sequence,   // OUT_OF_ORDER_SEQUENCE_NUMBER
  invalid_producer_epoch,  // INVALID_PRODUCER_EPOCH: an epoch older than the last seen
};

struct SequenceCheck {
  SequenceVerdict verdict = SequenceVerdict::append;
  ProducerBatch original;  // the recorded batch, when verdict == duplicate
};

// The last sequence of a batch, with Kafka's wrap-around after INT32_MAX.
std::int32_t last_sequence_of(std::int32_t first_sequence, std::int32_t last_offset_delta);

// Kafka's rules (ProducerStateEntry.findDuplicateBatch, ProducerAppendInfo.checkSequence),
// for a batch of `epoch` with sequences [first_sequence, last_sequence]:
//   epoch older than the entry's                   -> invalid_producer_epoch
//   same epoch, same range as a recorded batch     -> duplicate
//   no entry (new, or expired)                     -> append, whatever the sequence
//   newer epoch: first_sequence must be 0          -> else out_of_order_sequence
//   same epoch: first_sequence = last recorded + 1 -> else out_of_order_sequence
SequenceCheck check_sequence(const ProducerEntry* entry, std::int16_t epoch,
                             std::int32_t first_sequence, std::int32_t last_sequence);

// Records an appended batch: a newer epoch starts the entry afresh; the oldest of more
// than five batches is forgotten.
void record_batch(ProducerEntry& entry, std::int16_t epoch, const ProducerBatch& batch,
                  std::int64_t now_ms);

// The value stored in the `producers` column family (docs/storage.md). decode_entry
// returns nullopt for a truncated, padded or unknown-version value.
std::string encode_entry(const ProducerEntry& entry);
std::optional<ProducerEntry> decode_entry(std::string_view value);

// Key in `producers`: the partition's 8-byte key prefix ‖ producer id u64 big-endian.
constexpr std::size_t producer_key_size = 16;
std::array<char, producer_key_size> producer_key(const std::array<char, 8>& partition_prefix,
                                                 std::int64_t producer_id);

// The producer entries of one partition.
class ProducerStateTable {
 public:
  ProducerEntry* find(std::int64_t producer_id);
  ProducerEntry& get_or_create(std::int64_t producer_id) { return entries_[producer_id]; }
  void restore(std::int64_t producer_id, ProducerEntry entry) {
    entries_[producer_id] = std::move(entry);
  }
  void erase(std::int64_t producer_id) { entries_.erase(producer_id); }
  // Removes the entries idle for longer than expiration_ms and returns their ids.
  std::vector<std::int64_t> expire(std::int64_t now_ms, std::int64_t expiration_ms);
  std::size_t size() const { return entries_.size(); }

 private:
  std::unordered_map<std::int64_t, ProducerEntry> entries_;
};

}  // namespace weir::storage
