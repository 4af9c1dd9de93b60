#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "storage/blob_garbage.h"
#include "storage/store.h"
#include "test_support.h"

namespace weir::storage {
namespace {

using test::append_and_wait;
using test::open_store;
using test::split_batches;
using test::TempDir;

TEST_CASE(
    "blob garbage is collected only while the oldest quarter of the blob files is half garbage",
    "[storage][blob]") {
  // Three files: the oldest quarter is empty, as in RocksDB, whatever their garbage.
  CHECK_FALSE(plan_blob_collection({{1, 100, 100}, {2, 100, 100}, {3, 100, 100}}).collect);

  // Eight files (given out of order): the oldest quarter is files 1 and 2.
  const BlobCollectionPlan half = plan_blob_collection({{7, 100, 0},
                                                        {2, 100, 40},
                                                        {5, 100, 0},
                                                        {1, 100, 60},
                                                        {3, 100, 0},
                                                        {8, 100, 0},
                                                        {4, 100, 0},
                                                        {6, 100, 0}});
  CHECK(half.collect);
  CHECK(half.below_file_number == 3);
  CHECK(half.oldest_total_bytes == 200);
  CHECK(half.oldest_garbage_bytes == 100);

  CHECK_FALSE(plan_blob_collection({{1, 100, 50},
                                    {2, 100, 49},
                                    {3, 100, 0},
                                    {4, 100, 0},
                                    {5, 100, 0},
                                    {6, 100, 0},
                                    {7, 100, 0},
                                    {8, 100, 0}})
                  .collect);
  // Garbage in newer files is left for when they are the oldest (or all garbage, which
  // RocksDB removes by itself).
  CHECK_FALSE(plan_blob_collection({{1, 100, 0},
                                    {2, 100, 0},
                                    {3, 100, 100},
                                    {4, 100, 90},
                                    {5, 100, 90},
                                    {6, 100, 90},
                                    {7, 100, 90},
                                    {8, 100, 90}})
                  .collect);
}

// Batches above StoreOptions::min_blob_bytes, so they go to blob files; with the tests'
// 1 MiB memtables every 32 rounds of appends make one flush and one blob file.
constexpr std::size_t blob_batch_bytes = 8 << 10;
constexpr int rounds_per_blob_file = 32;

struct TwoTopics {
  TempDir dir;
  std::unique_ptr<Store> store;
  PartitionLog* short_lived = nullptr;  // three batches of every round
  PartitionLog* long_lived = nullptr;   // one batch of every round
};

void open_two_topics(TwoTopics& topics) {
  StoreOptions options;
  options.retention_check_interval_ms = 0;  // the test runs enforce_retention itself
  options.tail_cache_bytes = 0;             // reads come from RocksDB, through relocated blobs
  topics.store = open_store(topics.dir.db(), options);
  REQUIRE(topics.store->create_topic("short", 1, {}, nullptr) == StorageErrc::ok);
  REQUIRE(topics.store->create_topic("long", 1, {}, nullptr) == StorageErrc::ok);
  topics.short_lived = topics.store->partition("short", 0);
  topics.long_lived = topics.store->partition("long", 0);
}

// Every flush's blob file holds both topics, as one flush of the broker holds a time slice
// of every partition.
void append_rounds(TwoTopics& topics, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < 3; ++i)
      REQUIRE(
          append_and_wait(*topics.store, topics.short_lived, 0, round, blob_batch_bytes).error ==
          StorageErrc::ok);
    REQUIRE(append_and_wait(*topics.store, topics.long_lived, 0, round, blob_batch_bytes).error ==
            StorageErrc::ok);
  }
}

std::size_t batches_from(Store& store, PartitionLog* log, std::int64_t offset) {
  const ReadResult read = store.read(log, offset, 64 << 20);
  REQUIRE(read.error == StorageErrc::ok);
  return split_batches(read.records).size();
}

TEST_CASE("appending alone never collects blob garbage", "[storage][blob]") {
  TwoTopics topics;
  open_two_topics(topics);
  append_rounds(topics, 8 * rounds_per_blob_file);
  REQUIRE(topics.store->compact_log() == StorageErrc::ok);
  topics.store->enforce_retention(0);

  const StorageUsage usage = topics.store->usage();
  CHECK(usage.live_blob_bytes >= 8 * rounds_per_blob_file * 4 * blob_batch_bytes);
  CHECK(usage.blob_garbage_bytes == 0);
  CHECK(usage.blob_garbage_collections == 0);
}

TEST_CASE("deleting most of the oldest blob files' data collects them once, then collection stops",
          "[storage][blob]") {
  TwoTopics topics;
  open_two_topics(topics);
  const int rounds = 8 * rounds_per_blob_file;
  append_rounds(topics, rounds);
  // The short-lived topic's oldest third goes: the oldest blob files become three quarters
  // garbage, and stay on disk for the long-lived topic's batches in them.
  const std::int64_t short_start = rounds;
  std::int64_t low_watermark = -1;
  REQUIRE(topics.store->delete_records(topics.short_lived, short_start, &low_watermark) ==
          StorageErrc::ok);
  REQUIRE(topics.store->compact_log() == StorageErrc::ok);
  const StorageUsage counted = topics.store->usage();
  REQUIRE(counted.blob_garbage_collections == 0);
  REQUIRE(counted.blob_garbage_bytes >= rounds * blob_batch_bytes);

  topics.store->enforce_retention(0);
  const StorageUsage collected = topics.store->usage();
  CHECK(collected.blob_garbage_collections >= 1);
  CHECK(collected.live_blob_bytes < counted.live_blob_bytes);
  CHECK(collected.blob_garbage_bytes < counted.blob_garbage_bytes);

  // Each check may collect the next oldest files while they are mostly garbage; once they
  // are not, checks stop collecting.
  std::uint64_t collections = collected.blob_garbage_collections;
  for (int check = 0; check < 8; ++check) {
    topics.store->enforce_retention(0);
    const std::uint64_t now = topics.store->usage().blob_garbage_collections;
    if (now == collections) break;
    collections = now;
  }
  topics.store->enforce_retention(0);
  const StorageUsage settled = topics.store->usage();
  CHECK(settled.blob_garbage_collections == collections);
  // Everything the short-lived topic deleted is off the disk: what remains is about the
  // live batches, not the deleted third.
  CHECK(settled.live_blob_bytes < counted.live_blob_bytes - counted.blob_garbage_bytes / 2);

  // Appending more, with no deletion, collects nothing more.
  append_rounds(topics, 2 * rounds_per_blob_file);
  REQUIRE(topics.store->compact_log() == StorageErrc::ok);
  topics.store->enforce_retention(0);
  CHECK(topics.store->usage().blob_garbage_collections == collections);

  // The relocated batches read back whole.
  CHECK(batches_from(*topics.store, topics.long_lived, 0) ==
        static_cast<std::size_t>(rounds + 2 * rounds_per_blob_file));
  CHECK(batches_from(*topics.store, topics.short_lived, short_start) ==
        static_cast<std::size_t>(3 * (rounds + 2 * rounds_per_blob_file) - short_start));
}

}  // namespace
}  // namespace weir::storage
