#include <catch2/catch.hpp>

#include "storage/retention.h"
#include "storage/store.h"
#include "test_support.h"

namespace weir::storage {
namespace {

using test::append_and_wait;
using test::open_store;
using test::split_batches;
using test::TempDir;

PartitionLog* create_and_get(Store& store, const std::string& topic,
                             std::map<std::string, std::string> configs = {}) {
  REQUIRE(store.create_topic(topic, 1, std::move(configs), nullptr) == StorageErrc::ok);
  PartitionLog* log = store.partition(topic, 0);
  REQUIRE(log != nullptr);
  return log;
}

std::int64_t first_base_offset(Store& store, PartitionLog* log, std::int64_t offset) {
  auto read = store.read(log, offset, 1);
  REQUIRE(read.error == StorageErrc::ok);
  auto batches = split_batches(read.records);
  REQUIRE_FALSE(batches.empty());
  return batches.front().base_offset;
}

TEST_CASE("delete_records moves the log start and deletes only the batches wholly below it",
          "[storage][delete]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");
  for (int i = 0; i < 4; ++i) append_and_wait(*store, log, 4, i);  // batches at 0, 5, 10, 15

  std::int64_t low_watermark = -1;
  REQUIRE(store->delete_records(log, 7, &low_watermark) == StorageErrc::ok);
  CHECK(low_watermark == 7);
  CHECK(log->log_start_offset() == 7);
  CHECK(log->high_watermark() == 20);

  CHECK(store->read(log, 6, 1 << 20).error == StorageErrc::offset_out_of_range);
  CHECK(store->read(log, 0, 1 << 20).error == StorageErrc::offset_out_of_range);
  // The batch holding offset 7 stays: a consumer at the new start reads it and skips 5 and 6.
  auto read = store->read(log, 7, 1 << 20);
  REQUIRE(read.error == StorageErrc::ok);
  CHECK(read.log_start_offset == 7);
  auto batches = split_batches(read.records);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].base_offset == 5);

  // Deleting at a batch boundary removes the batch below it, and the next read starts there.
  REQUIRE(store->delete_records(log, 15, &low_watermark) == StorageErrc::ok);
  CHECK(first_base_offset(*store, log, 15) == 15);
}

TEST_CASE(
    "delete_records below the log start changes nothing; above the high watermark is "
    "offset_out_of_range",
    "[storage][delete]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");
  for (int i = 0; i < 2; ++i) append_and_wait(*store, log, 4, i);  // offsets 0..9

  std::int64_t low_watermark = -1;
  REQUIRE(store->delete_records(log, 5, &low_watermark) == StorageErrc::ok);
  REQUIRE(store->delete_records(log, 3, &low_watermark) == StorageErrc::ok);
  CHECK(low_watermark == 5);
  CHECK(log->log_start_offset() == 5);
  CHECK(store->delete_records(log, 11, &low_watermark) == StorageErrc::offset_out_of_range);
  CHECK(store->delete_records(log, -1, &low_watermark) == StorageErrc::offset_out_of_range);
  CHECK(store->delete_records(nullptr, 0, &low_watermark) ==
        StorageErrc::unknown_topic_or_partition);
  CHECK(log->log_start_offset() == 5);
  CHECK(log->high_watermark() == 10);
}

TEST_CASE("the log start offset survives a reopen, inside a batch and at the end of an emptied log",
          "[storage][delete][recovery]") {
  TempDir dir;
  {
    auto store = open_store(dir.db());
    PartitionLog* inside = create_and_get(*store, "inside");
    PartitionLog* emptied = create_and_get(*store, "emptied");
    for (int i = 0; i < 3; ++i) {
      append_and_wait(*store, inside, 4, i);
      append_and_wait(*store, emptied, 4, i);
    }
    REQUIRE(store->delete_records(inside, 7, nullptr) == StorageErrc::ok);
    REQUIRE(store->delete_records(emptied, 15, nullptr) == StorageErrc::ok);
    CHECK(store->read(emptied, 15, 1 << 20).records.empty());
  }
  auto store = open_store(dir.db());
  PartitionLog* inside = store->partition("inside", 0);
  PartitionLog* emptied = store->partition("emptied", 0);
  REQUIRE(inside != nullptr);
  REQUIRE(emptied != nullptr);
  CHECK(inside->log_start_offset() == 7);
  CHECK(inside->high_watermark() == 15);
  CHECK(first_base_offset(*store, inside, 7) == 5);
  CHECK(emptied->log_start_offset() == 15);
  CHECK(emptied->high_watermark() == 15);
  // An emptied partition keeps its offsets: the next append continues at the high watermark.
  CHECK(append_and_wait(*store, emptied, 0, 9).base_offset == 15);
  CHECK(first_base_offset(*store, emptied, 15) == 15);
}

TEST_CASE("a timestamp lookup older than the log start answers with the log start offset",
          "[storage][delete]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");
  append_and_wait(*store, log, 4, 100);  // 0..4, indexed
  append_and_wait(*store, log, 4, 50);   // 5..9, below the running max: not indexed
  append_and_wait(*store, log, 4, 300);  // 10..14, indexed
  REQUIRE(store->delete_records(log, 5, nullptr) == StorageErrc::ok);
  CHECK(store->offset_for_timestamp(log, 10).first == 5);
  CHECK(store->offset_for_timestamp(log, 200).first == 10);
  CHECK(store->offset_for_timestamp(log, 400).first == -1);
}

TEST_CASE(
    "delete_topic removes the topic, and a topic re-created with its name starts empty with new "
    "ids",
    "[storage][delete][topics]") {
  TempDir dir;
  TopicDescription before;
  TopicDescription after;
  {
    auto store = open_store(dir.db());
    REQUIRE(store->create_topic("events", 2, {}, &before) == StorageErrc::ok);
    PartitionLog* old_log = store->partition("events", 1);
    for (int i = 0; i < 3; ++i) append_and_wait(*store, old_log, 4, i);
    CHECK(store->delete_topic("missing") == StorageErrc::unknown_topic_or_partition);

    REQUIRE(store->delete_topic("events") == StorageErrc::ok);
    CHECK_FALSE(store->find_topic("events"));
    CHECK_FALSE(store->find_topic(before.topic_id));
    CHECK(store->partition("events", 1) == nullptr);
    CHECK(store->list_topics().empty());
    CHECK(store->delete_topic("events") == StorageErrc::unknown_topic_or_partition);
    // A handle taken before the deletion stays safe to use and refuses both directions.
    CHECK(store->read(old_log, 0, 1 << 20).error == StorageErrc::unknown_topic_or_partition);
    CHECK(append_and_wait(*store, old_log, 0, 1).error == StorageErrc::unknown_topic_or_partition);
    CHECK(store->delete_records(old_log, 0, nullptr) == StorageErrc::unknown_topic_or_partition);

    REQUIRE(store->create_topic("events", 2, {}, &after) == StorageErrc::ok);
    CHECK(after.topic_id != before.topic_id);
    CHECK(after.internal_id > before.internal_id);
    PartitionLog* new_log = store->partition("events", 1);
    REQUIRE(new_log != nullptr);
    CHECK(new_log->high_watermark() == 0);
    CHECK(new_log->log_start_offset() == 0);
    CHECK(store->read(new_log, 0, 1 << 20).records.empty());
    CHECK(append_and_wait(*store, new_log, 0, 1).base_offset == 0);
  }
  auto store = open_store(dir.db());
  auto found = store->find_topic("events");
  REQUIRE(found);
  CHECK(found->topic_id == after.topic_id);
  CHECK_FALSE(store->find_topic(before.topic_id));
  PartitionLog* log = store->partition("events", 1);
  CHECK(log->high_watermark() == 1);
  CHECK(split_batches(store->read(log, 0, 1 << 20).records).size() == 1);
  // Internal ids are never reused, even after a reopen.
  TopicDescription third;
  REQUIRE(store->create_topic("other", 1, {}, &third) == StorageErrc::ok);
  CHECK(third.internal_id > after.internal_id);
}

TEST_CASE("retention.ms deletes the leading batches whose max timestamp is older than the limit",
          "[storage][retention]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* limited = create_and_get(*store, "limited", {{"retention.ms", "1000"}});
  PartitionLog* defaults = create_and_get(*store, "defaults");
  for (std::int64_t timestamp : {100, 5000, 200, 9000}) {  // batches at 0, 5, 10, 15
    append_and_wait(*store, limited, 4, timestamp);
    append_and_wait(*store, defaults, 4, timestamp);
  }
  // Deletion stops at the first batch within the limit: batch 10 (max 200) waits behind batch 5.
  store->enforce_retention(4500);  // cutoff 3500
  CHECK(limited->log_start_offset() == 5);
  store->enforce_retention(6000);  // cutoff 5000: batch 5 (max 5000) is not older than the limit
  CHECK(limited->log_start_offset() == 5);
  store->enforce_retention(6500);  // cutoff 5500: 5 and 10 go, 15 stays
  CHECK(limited->log_start_offset() == 15);
  CHECK(store->read(limited, 14, 1 << 20).error == StorageErrc::offset_out_of_range);
  CHECK(first_base_offset(*store, limited, 15) == 15);
  store->enforce_retention(20000);  // everything: the partition empties but keeps its offsets
  CHECK(limited->log_start_offset() == 20);
  CHECK(limited->high_watermark() == 20);
  // Kafka's default retention.ms is 7 days.
  CHECK(defaults->log_start_offset() == 0);
  store->enforce_retention(9000 + 604800000 + 1);
  CHECK(defaults->log_start_offset() == 20);
}

TEST_CASE("retention.bytes keeps the newest batches that together hold at least the limit",
          "[storage][retention]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log =
      create_and_get(*store, "t", {{"retention.bytes", "2500"}, {"retention.ms", "-1"}});
  for (int i = 0; i < 5; ++i) append_and_wait(*store, log, 0, i, 939);  // 1000-byte batches at 0..4
  store->enforce_retention(0);
  CHECK(log->log_start_offset() ==
        2);  // 3000 bytes stay: dropping one more would leave 2000 < 2500
  store->enforce_retention(0);
  CHECK(log->log_start_offset() == 2);
  CHECK(split_batches(store->read(log, 2, 1 << 20).records).size() == 3);
}

TEST_CASE("retention settings come from the topic configs with Kafka's defaults",
          "[storage][retention]") {
  CHECK(retention_policy({}).retention_ms == 604800000);
  CHECK(retention_policy({}).retention_bytes == -1);
  auto policy = retention_policy({{"retention.ms", "60000"}, {"retention.bytes", "1048576"}});
  CHECK(policy.retention_ms == 60000);
  CHECK(policy.retention_bytes == 1048576);
  CHECK(retention_policy({{"retention.ms", "-1"}}).keeps_everything());
  CHECK(retention_policy({{"retention.ms", "-5"}}).retention_ms == -1);
  // Unreadable values fall back to the default instead of deleting more.
  CHECK(retention_policy({{"retention.ms", "soon"}}).retention_ms == 604800000);
  CHECK(retention_policy({{"retention.ms", "12x"}}).retention_ms == 604800000);
  CHECK(retention_policy({{"retention.bytes", ""}}).retention_bytes == -1);
}

TEST_CASE("a compact-only topic is never trimmed by retention, as in Kafka",
          "[storage][retention]") {
  CHECK(retention_policy({{"cleanup.policy", "compact"}, {"retention.ms", "1000"}})
            .keeps_everything());
  const auto both =
      retention_policy({{"cleanup.policy", "compact,delete"}, {"retention.ms", "1000"}});
  CHECK(both.retention_ms == 1000);
  CHECK(
      retention_policy({{"cleanup.policy", "delete"}, {"retention.bytes", "10"}}).retention_bytes ==
      10);
}

}  // namespace
}  // namespace weir::storage
