#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <thread>
#include <vector>

#include "storage/reader_pool.h"
#include "storage/store.h"
#include "storage/tail_cache.h"
#include "test_support.h"

namespace weir::storage {
namespace {

using test::append_and_wait;
using test::open_store;
using test::split_batches;
using test::TempDir;

SharedBatch bytes(std::size_t size, std::uint8_t fill) {
  return std::make_shared<const std::vector<std::byte>>(size, static_cast<std::byte>(fill));
}

StoreOptions with_cache(std::size_t bytes) {
  StoreOptions options;
  options.tail_cache_bytes = bytes;
  return options;
}

TEST_CASE("the tail cache returns whole batches from the one containing the offset",
          "[storage][tail_cache]") {
  TailCache cache(1 << 20);
  auto tail = std::make_shared<PartitionTail>();
  cache.add(tail, 0, 3, bytes(100, 1));  // offsets 0-2
  cache.add(tail, 3, 4, bytes(100, 2));  // offset 3
  cache.add(tail, 4, 9, bytes(100, 3));  // offsets 4-8
  std::vector<std::byte> out;
  REQUIRE(cache.read(*tail, 5, 9, 1000, &out));
  REQUIRE(out.size() == 100);
  CHECK(out[0] == std::byte{3});
  REQUIRE(cache.read(*tail, 2, 9, 1000, &out));
  REQUIRE(out.size() == 300);
  CHECK(out[0] == std::byte{1});
  CHECK(out[299] == std::byte{3});
}

TEST_CASE("a tail cache read honours max_bytes but returns at least one batch",
          "[storage][tail_cache]") {
  TailCache cache(1 << 20);
  auto tail = std::make_shared<PartitionTail>();
  for (int i = 0; i < 4; ++i) cache.add(tail, i, i + 1, bytes(100, static_cast<std::uint8_t>(i)));
  std::vector<std::byte> out;
  REQUIRE(cache.read(*tail, 0, 4, 250, &out));
  CHECK(out.size() == 200);
  REQUIRE(cache.read(*tail, 1, 4, 10, &out));
  CHECK(out.size() == 100);
  CHECK(out[0] == std::byte{1});
}

TEST_CASE("a tail cache read stops at the high watermark it is given", "[storage][tail_cache]") {
  TailCache cache(1 << 20);
  auto tail = std::make_shared<PartitionTail>();
  for (int i = 0; i < 4; ++i) cache.add(tail, i, i + 1, bytes(100, static_cast<std::uint8_t>(i)));
  std::vector<std::byte> out;
  REQUIRE(cache.read(*tail, 0, 2, 1000, &out));
  CHECK(out.size() == 200);
}

TEST_CASE("the tail cache evicts the oldest batches of any partition to stay within its budget",
          "[storage][tail_cache]") {
  TailCache cache(300);
  auto first = std::make_shared<PartitionTail>();
  auto second = std::make_shared<PartitionTail>();
  cache.add(first, 0, 1, bytes(100, 1));
  cache.add(second, 0, 1, bytes(100, 2));
  cache.add(first, 1, 2, bytes(100, 3));
  cache.add(second, 1, 2, bytes(100, 4));  // evicts first's offset 0
  CHECK(cache.cached_bytes() == 300);
  std::vector<std::byte> out;
  CHECK_FALSE(cache.read(*first, 0, 2, 1000, &out));
  REQUIRE(cache.read(*first, 1, 2, 1000, &out));
  CHECK(out[0] == std::byte{3});
  REQUIRE(cache.read(*second, 0, 2, 1000, &out));
  CHECK(out.size() == 200);
}

TEST_CASE("a batch larger than the whole budget leaves its partition's tail empty, not torn",
          "[storage][tail_cache]") {
  TailCache cache(150);
  auto tail = std::make_shared<PartitionTail>();
  cache.add(tail, 0, 1, bytes(100, 1));
  cache.add(tail, 1, 2, bytes(200, 2));
  CHECK(cache.cached_bytes() == 0);
  std::vector<std::byte> out;
  CHECK_FALSE(cache.read(*tail, 0, 2, 1000, &out));
  CHECK_FALSE(cache.read(*tail, 1, 2, 1000, &out));
  cache.add(tail, 2, 3, bytes(100, 3));
  REQUIRE(cache.read(*tail, 2, 3, 1000, &out));
  CHECK(out.size() == 100);
}

TEST_CASE("a zero budget turns the tail cache off", "[storage][tail_cache]") {
  TailCache cache(0);
  auto tail = std::make_shared<PartitionTail>();
  cache.add(tail, 0, 1, bytes(100, 1));
  std::vector<std::byte> out;
  CHECK_FALSE(cache.enabled());
  CHECK_FALSE(cache.read(*tail, 0, 1, 1000, &out));
}

TEST_CASE("just-appended batches are read from memory, identical to what RocksDB returns",
          "[storage][tail_cache]") {
  TempDir dir;
  {
    auto store = open_store(dir.db());
    REQUIRE(store->create_topic("t", 1, {}, nullptr) == StorageErrc::ok);
    PartitionLog* log = store->partition("t", 0);
    for (int i = 0; i < 10; ++i)
      REQUIRE(append_and_wait(*store, log, 2, i, 50).error == StorageErrc::ok);
    auto from_memory = store->read_from_memory(log, 4, 1 << 20);
    REQUIRE(from_memory.has_value());
    CHECK(from_memory->error == StorageErrc::ok);
    CHECK(from_memory->high_watermark == 30);
    auto batches = split_batches(from_memory->records);
    REQUIRE(batches.size() == 9);
    CHECK(batches.front().base_offset == 3);
    CHECK(batches.back().base_offset == 27);
  }
  // After a restart the cache is empty: the same read must come from RocksDB, byte for byte.
  auto store = open_store(dir.db());
  PartitionLog* log = store->partition("t", 0);
  CHECK_FALSE(store->read_from_memory(log, 4, 1 << 20).has_value());
  auto from_disk = store->read(log, 4, 1 << 20);
  auto batches = split_batches(from_disk.records);
  REQUIRE(batches.size() == 9);
  CHECK(batches.front().base_offset == 3);
}

TEST_CASE("reads below the cached range fall back to RocksDB", "[storage][tail_cache]") {
  TempDir dir;
  auto store = open_store(dir.db(), with_cache(1000));  // room for about 7 batches of 141 bytes
  REQUIRE(store->create_topic("t", 1, {}, nullptr) == StorageErrc::ok);
  PartitionLog* log = store->partition("t", 0);
  for (int i = 0; i < 20; ++i)
    REQUIRE(append_and_wait(*store, log, 0, i, 80).error == StorageErrc::ok);
  CHECK_FALSE(store->read_from_memory(log, 0, 1 << 20).has_value());
  CHECK(store->read_from_memory(log, 19, 1 << 20).has_value());
  auto all = split_batches(store->read(log, 0, 1 << 20).records);
  REQUIRE(all.size() == 20);
  for (std::size_t i = 0; i < all.size(); ++i)
    CHECK(all[i].base_offset == static_cast<std::int64_t>(i));
}

TEST_CASE("without a cache, memory answers only at the high watermark or out of range",
          "[storage][tail_cache]") {
  TempDir dir;
  auto store = open_store(dir.db(), with_cache(0));
  REQUIRE(store->create_topic("t", 1, {}, nullptr) == StorageErrc::ok);
  PartitionLog* log = store->partition("t", 0);
  REQUIRE(append_and_wait(*store, log, 0, 0).error == StorageErrc::ok);
  CHECK_FALSE(store->read_from_memory(log, 0, 1 << 20).has_value());
  auto at_end = store->read_from_memory(log, 1, 1 << 20);
  REQUIRE(at_end.has_value());
  CHECK(at_end->records.empty());
  auto beyond = store->read_from_memory(log, 5, 1 << 20);
  REQUIRE(beyond.has_value());
  CHECK(beyond->error == StorageErrc::offset_out_of_range);
  CHECK(split_batches(store->read(log, 0, 1 << 20).records).size() == 1);
}

TEST_CASE("a failed write leaves nothing in the cache", "[storage][tail_cache]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->create_topic("t", 1, {}, nullptr) == StorageErrc::ok);
  PartitionLog* log = store->partition("t", 0);
  std::promise<AppendResult> refused;
  store->append(log, std::vector<std::byte>(10), 0, 0, Durability::written,
                [&](const AppendResult& result) { refused.set_value(result); });
  CHECK(refused.get_future().get().error == StorageErrc::storage_error);
  CHECK(store->read_from_memory(log, 0, 1 << 20)->records.empty());
  REQUIRE(append_and_wait(*store, log, 0, 0).base_offset == 0);
  CHECK(split_batches(store->read_from_memory(log, 0, 1 << 20)->records).size() == 1);
}

TEST_CASE("submitted reads run on storage threads and wait_for_reads waits for them",
          "[storage][readers]") {
  TempDir dir;
  auto store = open_store(dir.db());
  std::atomic<int> ran{0};
  std::atomic<int> on_caller{0};
  const auto caller = std::this_thread::get_id();
  for (int i = 0; i < 20; ++i) {
    store->submit_read([&] {
      if (std::this_thread::get_id() == caller) on_caller.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ran.fetch_add(1);
    });
  }
  store->wait_for_reads();
  CHECK(ran.load() == 20);
  CHECK(on_caller.load() == 0);
}

TEST_CASE("the reader pool runs every job submitted before it is destroyed", "[storage][readers]") {
  std::atomic<int> ran{0};
  {
    ReaderPool pool(2);
    for (int i = 0; i < 100; ++i) pool.submit([&] { ran.fetch_add(1); });
  }
  CHECK(ran.load() == 100);
}

TEST_CASE("the commit sequence moves only after the high watermark", "[storage][append]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->create_topic("t", 1, {}, nullptr) == StorageErrc::ok);
  PartitionLog* log = store->partition("t", 0);
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0};
  std::thread watcher([&] {
    while (!stop) {
      const auto sequence = store->commit_sequence();
      const auto watermark = log->high_watermark();
      // One append per group here, so the sequence never runs ahead of the watermark.
      if (static_cast<std::int64_t>(sequence) > watermark) violations.fetch_add(1);
    }
  });
  for (int i = 0; i < 200; ++i) append_and_wait(*store, log, 0, i);
  stop = true;
  watcher.join();
  CHECK(violations.load() == 0);
  CHECK(store->commit_sequence() == 200);
}

}  // namespace
}  // namespace weir::storage
