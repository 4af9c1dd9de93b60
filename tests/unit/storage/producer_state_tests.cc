// The idempotent producer sequence rules, as Kafka's ProducerStateEntry and
// ProducerAppendInfo apply them.
#include <catch2/catch.hpp>
#include <limits>

#include "storage/producer_state.h"

using namespace weir::storage;

namespace {

// An entry after appending batches of `records` records each, from sequence 0, epoch 0.
ProducerEntry entry_after(int batches, std::int32_t records = 10) {
  ProducerEntry entry;
  std::int32_t sequence = 0;
  for (int i = 0; i < batches; ++i) {
    record_batch(entry, 0,
                 ProducerBatch{sequence, sequence + records - 1, 100 + sequence, records - 1}, 1);
    sequence += records;
  }
  return entry;
}

}  // namespace

TEST_CASE("a producer without state may start at any sequence", "[producer_state]") {
  CHECK(check_sequence(nullptr, 0, 0, 9).verdict == SequenceVerdict::append);
  CHECK(check_sequence(nullptr, 3, 500, 509).verdict == SequenceVerdict::append);
}

TEST_CASE("the next batch in sequence is appended", "[producer_state]") {
  const ProducerEntry entry = entry_after(2);
  CHECK(check_sequence(&entry, 0, 20, 29).verdict == SequenceVerdict::append);
}

TEST_CASE("duplicate idempotent batch returns the original offset", "[producer_state]") {
  const ProducerEntry entry = entry_after(3);
  const SequenceCheck check = check_sequence(&entry, 0, 10, 19);
  REQUIRE(check.verdict == SequenceVerdict::duplicate);
  CHECK(check.original.base_offset == 110);
  CHECK(check.original.last_offset_delta == 9);
}

TEST_CASE("only the last five batches are remembered; an older retry is out of order",
          "[producer_state]") {
  const ProducerEntry entry = entry_after(7);
  REQUIRE(entry.batches.size() == ProducerEntry::max_batches);
  CHECK(check_sequence(&entry, 0, 20, 29).verdict == SequenceVerdict::duplicate);
  CHECK(check_sequence(&entry, 0, 10, 19).verdict == SequenceVerdict::out_of_order_sequence);
}

TEST_CASE("a sequence gap is out of order", "[producer_state]") {
  const ProducerEntry entry = entry_after(1);
  CHECK(check_sequence(&entry, 0, 11, 20).verdict == SequenceVerdict::out_of_order_sequence);
  CHECK(check_sequence(&entry, 0, 5, 14).verdict == SequenceVerdict::out_of_order_sequence);
}

TEST_CASE("a batch overlapping a recorded one with another range is out of order",
          "[producer_state]") {
  const ProducerEntry entry = entry_after(2);
  CHECK(check_sequence(&entry, 0, 10, 14).verdict == SequenceVerdict::out_of_order_sequence);
}

TEST_CASE("an older epoch is invalid_producer_epoch, even for a recorded range",
          "[producer_state]") {
  ProducerEntry entry;
  record_batch(entry, 2, ProducerBatch{0, 9, 0, 9}, 1);
  CHECK(check_sequence(&entry, 1, 10, 19).verdict == SequenceVerdict::invalid_producer_epoch);
  CHECK(check_sequence(&entry, 1, 0, 9).verdict == SequenceVerdict::invalid_producer_epoch);
}

TEST_CASE("a newer epoch must start at sequence 0 and then replaces the batches",
          "[producer_state]") {
  ProducerEntry entry = entry_after(2);
  CHECK(check_sequence(&entry, 1, 20, 29).verdict == SequenceVerdict::out_of_order_sequence);
  REQUIRE(check_sequence(&entry, 1, 0, 4).verdict == SequenceVerdict::append);
  record_batch(entry, 1, ProducerBatch{0, 4, 500, 4}, 2);
  CHECK(entry.epoch == 1);
  CHECK(entry.batches.size() == 1);
  // The old epoch's ranges are no longer duplicates of anything.
  CHECK(check_sequence(&entry, 0, 0, 9).verdict == SequenceVerdict::invalid_producer_epoch);
}

TEST_CASE("sequences wrap to 0 after INT32_MAX", "[producer_state]") {
  constexpr std::int32_t max = std::numeric_limits<std::int32_t>::max();
  CHECK(last_sequence_of(max - 4, 9) == 4);
  CHECK(last_sequence_of(0, 9) == 9);
  ProducerEntry entry;
  record_batch(entry, 0, ProducerBatch{max - 9, max, 0, 9}, 1);
  CHECK(check_sequence(&entry, 0, 0, 9).verdict == SequenceVerdict::append);
  CHECK(check_sequence(&entry, 0, 1, 10).verdict == SequenceVerdict::out_of_order_sequence);
}

TEST_CASE("an entry survives encoding, and damaged values are refused", "[producer_state]") {
  ProducerEntry entry = entry_after(6);
  entry.epoch = 7;
  entry.last_append_ms = 1234567890123;
  const std::string value = encode_entry(entry);
  const auto decoded = decode_entry(value);
  REQUIRE(decoded.has_value());
  CHECK(decoded->epoch == 7);
  CHECK(decoded->last_append_ms == 1234567890123);
  REQUIRE(decoded->batches.size() == entry.batches.size());
  for (std::size_t i = 0; i < entry.batches.size(); ++i) {
    CHECK(decoded->batches[i].first_sequence == entry.batches[i].first_sequence);
    CHECK(decoded->batches[i].last_sequence == entry.batches[i].last_sequence);
    CHECK(decoded->batches[i].base_offset == entry.batches[i].base_offset);
    CHECK(decoded->batches[i].last_offset_delta == entry.batches[i].last_offset_delta);
  }
  CHECK_FALSE(decode_entry(value.substr(0, value.size() - 1)).has_value());
  CHECK_FALSE(decode_entry(value + "x").has_value());
  CHECK_FALSE(decode_entry("").has_value());
  std::string wrong_version = value;
  wrong_version[0] = 9;
  CHECK_FALSE(decode_entry(wrong_version).has_value());
}

TEST_CASE("expire drops exactly the entries idle for longer than the expiration",
          "[producer_state]") {
  ProducerStateTable table;
  table.get_or_create(1).last_append_ms = 1000;
  table.get_or_create(2).last_append_ms = 5000;
  const auto expired = table.expire(6000, 2000);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0] == 1);
  CHECK(table.find(1) == nullptr);
  CHECK(table.find(2) != nullptr);
}
