// Idempotent producers through the Store: sequence checks where offsets are assigned,
// state in the same write as the batch, recovery at open, expiration, producer ids.
#include <catch2/catch.hpp>
#include <future>
#include <set>
#include <thread>

#include "test_support.h"

using namespace weir::storage;
using namespace weir::storage::test;

namespace {

PartitionLog* make_partition(Store& store, const std::string& topic = "idempotent") {
  REQUIRE(store.create_topic(topic, 1, {}, nullptr) == StorageErrc::ok);
  return store.partition(topic, 0);
}

}  // namespace

TEST_CASE("a retried idempotent batch gets its original offset and is not stored twice",
          "[storage][producers]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = make_partition(*store);
  const auto first = append_batch_and_wait(*store, log, make_producer_batch(9, 7, 0, 0), 9);
  const auto second = append_batch_and_wait(*store, log, make_producer_batch(9, 7, 0, 10), 9);
  REQUIRE(first.error == StorageErrc::ok);
  REQUIRE(second.error == StorageErrc::ok);
  CHECK(second.base_offset == 10);
  const auto retry = append_batch_and_wait(*store, log, make_producer_batch(9, 7, 0, 0), 9);
  CHECK(retry.error == StorageErrc::ok);
  CHECK(retry.duplicate);
  CHECK(retry.base_offset == 0);
  CHECK(log->high_watermark() == 20);
  CHECK(split_batches(store->read(log, 0, 1 << 20).records).size() == 2);
}

TEST_CASE("identical plain batches are each stored, never taken for duplicates",
          "[storage][producers]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = make_partition(*store);
  for (int i = 0; i < 3; ++i) {
    const auto result = append_batch_and_wait(*store, log, make_batch(0, 1000), 0);
    REQUIRE(result.error == StorageErrc::ok);
    CHECK_FALSE(result.duplicate);
    CHECK(result.base_offset == i);
  }
  CHECK(log->high_watermark() == 3);
  CHECK(split_batches(store->read(log, 0, 1 << 20).records).size() == 3);
}

TEST_CASE("producer id 0 is an idempotent producer: repeating its sequence is a duplicate",
          "[storage][producers]") {
  // A zeroed batch header is such a batch (an append benchmark once measured only
  // duplicates this way): it must be answered as Kafka does, not stored twice.
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = make_partition(*store);
  REQUIRE(append_batch_and_wait(*store, log, make_producer_batch(0, 0, 0, 0), 0).error ==
          StorageErrc::ok);
  const auto repeat = append_batch_and_wait(*store, log, make_producer_batch(0, 0, 0, 0), 0);
  CHECK(repeat.error == StorageErrc::ok);
  CHECK(repeat.duplicate);
  CHECK(repeat.base_offset == 0);
  CHECK(log->high_watermark() == 1);
}

TEST_CASE("a sequence gap and an old epoch are refused without storing anything",
          "[storage][producers]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = make_partition(*store);
  REQUIRE(append_batch_and_wait(*store, log, make_producer_batch(4, 3, 1, 0), 4).error ==
          StorageErrc::ok);
  CHECK(append_batch_and_wait(*store, log, make_producer_batch(4, 3, 1, 6), 4).error ==
        StorageErrc::out_of_order_sequence);
  CHECK(append_batch_and_wait(*store, log, make_producer_batch(4, 3, 0, 5), 4).error ==
        StorageErrc::invalid_producer_epoch);
  CHECK(log->high_watermark() == 5);
  // The refused batches left no state behind: the next in-sequence batch follows on.
  const auto next = append_batch_and_wait(*store, log, make_producer_batch(4, 3, 1, 5), 4);
  CHECK(next.error == StorageErrc::ok);
  CHECK(next.base_offset == 5);
}

TEST_CASE("duplicates are found when retries are queued together with their originals",
          "[storage][producers]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = make_partition(*store);
  // Queue originals and retries back to back without waiting, so many land in one group.
  std::vector<std::future<AppendResult>> results;
  std::vector<std::promise<AppendResult>> promises(40);
  for (int i = 0; i < 40; ++i) {
    const int batch = i / 2;  // each batch sent twice in a row
    results.push_back(promises[i].get_future());
    store->append(log, make_producer_batch(0, 11, 0, batch), 0, 1000, Durability::written,
                  [&promises, i](const AppendResult& result) { promises[i].set_value(result); });
  }
  for (int i = 0; i < 40; ++i) {
    const AppendResult result = results[i].get();
    REQUIRE(result.error == StorageErrc::ok);
    CHECK(result.base_offset == i / 2);
    CHECK(result.duplicate == (i % 2 == 1));
  }
  CHECK(log->high_watermark() == 20);
}

TEST_CASE("producer state survives a reopen, so a retry after a restart is still a duplicate",
          "[storage][producers][recovery]") {
  TempDir dir;
  {
    auto store = open_store(dir.db());
    PartitionLog* log = make_partition(*store);
    for (int batch = 0; batch < 3; ++batch)
      REQUIRE(
          append_batch_and_wait(*store, log, make_producer_batch(9, 42, 2, batch * 10), 9).error ==
          StorageErrc::ok);
  }
  auto store = open_store(dir.db());
  PartitionLog* log = store->partition("idempotent", 0);
  REQUIRE(log != nullptr);
  const auto retry = append_batch_and_wait(*store, log, make_producer_batch(9, 42, 2, 20), 9);
  CHECK(retry.duplicate);
  CHECK(retry.base_offset == 20);
  CHECK(append_batch_and_wait(*store, log, make_producer_batch(9, 42, 2, 40), 9).error ==
        StorageErrc::out_of_order_sequence);
  CHECK(append_batch_and_wait(*store, log, make_producer_batch(9, 42, 1, 30), 9).error ==
        StorageErrc::invalid_producer_epoch);
  const auto next = append_batch_and_wait(*store, log, make_producer_batch(9, 42, 2, 30), 9);
  CHECK(next.error == StorageErrc::ok);
  CHECK(next.base_offset == 30);
}

TEST_CASE("idle producer state expires, after which any sequence is accepted",
          "[storage][producers]") {
  TempDir dir;
  StoreOptions options;
  options.path = dir.db();
  options.producer_id_expiration_ms = 50;
  std::string error;
  auto store = Store::open(options, &error);
  REQUIRE(store != nullptr);
  PartitionLog* log = make_partition(*store);
  REQUIRE(append_batch_and_wait(*store, log, make_producer_batch(0, 5, 0, 0), 0).error ==
          StorageErrc::ok);
  REQUIRE(append_batch_and_wait(*store, log, make_producer_batch(0, 5, 0, 7), 0).error ==
          StorageErrc::out_of_order_sequence);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  const auto after = append_batch_and_wait(*store, log, make_producer_batch(0, 5, 0, 7), 0);
  CHECK(after.error == StorageErrc::ok);
  CHECK_FALSE(after.duplicate);
}

TEST_CASE("producer ids are unique and never handed out again after a reopen",
          "[storage][producers]") {
  TempDir dir;
  std::set<std::int64_t> seen;
  for (int open = 0; open < 3; ++open) {
    auto store = open_store(dir.db());
    for (int i = 0; i < 5; ++i) {
      std::int64_t id = -1;
      REQUIRE(store->allocate_producer_id(&id) == StorageErrc::ok);
      CHECK(id >= 0);
      CHECK(seen.insert(id).second);
    }
  }
  CHECK(seen.size() == 15);
}
