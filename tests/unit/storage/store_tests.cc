#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "storage/store.h"
#include "test_support.h"

extern char** environ;

namespace weir::storage {
namespace {

using test::append_and_wait;
using test::make_batch;
using test::open_store;
using test::split_batches;
using test::TempDir;

PartitionLog* create_and_get(Store& store, const std::string& topic, std::int32_t partitions = 1) {
  REQUIRE(store.create_topic(topic, partitions, {}, nullptr) == StorageErrc::ok);
  PartitionLog* log = store.partition(topic, 0);
  REQUIRE(log != nullptr);
  return log;
}

TEST_CASE("created topics are found by name and id and listed sorted by name",
          "[storage][topics]") {
  TempDir dir;
  auto store = open_store(dir.db());
  TopicDescription zebra;
  TopicDescription apple;
  REQUIRE(store->create_topic("zebra", 3, {{"retention.ms", "1000"}}, &zebra) == StorageErrc::ok);
  REQUIRE(store->create_topic("apple", 1, {}, &apple) == StorageErrc::ok);

  CHECK(zebra.name == "zebra");
  CHECK(zebra.partition_count == 3);
  CHECK(zebra.configs.at("retention.ms") == "1000");
  CHECK(zebra.topic_id != Uuid{});
  CHECK(zebra.topic_id != apple.topic_id);
  CHECK(zebra.internal_id != apple.internal_id);

  auto by_name = store->find_topic("zebra");
  REQUIRE(by_name);
  CHECK(by_name->topic_id == zebra.topic_id);
  auto by_id = store->find_topic(apple.topic_id);
  REQUIRE(by_id);
  CHECK(by_id->name == "apple");
  CHECK_FALSE(store->find_topic("missing"));
  CHECK_FALSE(store->find_topic(Uuid{}));

  auto listed = store->list_topics();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].name == "apple");
  CHECK(listed[1].name == "zebra");
}

TEST_CASE("creating an existing topic returns topic_already_exists", "[storage][topics]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->create_topic("events", 2, {}, nullptr) == StorageErrc::ok);
  CHECK(store->create_topic("events", 5, {}, nullptr) == StorageErrc::topic_already_exists);
  CHECK(store->find_topic("events")->partition_count == 2);
}

TEST_CASE("invalid topic names are refused with invalid_topic_name", "[storage][topics]") {
  TempDir dir;
  auto store = open_store(dir.db());
  for (const std::string& name :
       {std::string(), std::string("."), std::string(".."), std::string(250, 'a'),
        std::string("has space"), std::string("a/b"), std::string("a:b")}) {
    INFO("name: " << name);
    CHECK(store->create_topic(name, 1, {}, nullptr) == StorageErrc::invalid_topic_name);
  }
  CHECK(store->create_topic(std::string(249, 'a'), 1, {}, nullptr) == StorageErrc::ok);
  CHECK(store->list_topics().size() == 1);
}

TEST_CASE("valid_topic_name accepts exactly the names create_topic accepts", "[storage][topics]") {
  CHECK(valid_topic_name("orders"));
  CHECK(valid_topic_name("a.b_c-D9"));
  CHECK(valid_topic_name(std::string(249, 'a')));
  CHECK_FALSE(valid_topic_name(""));
  CHECK_FALSE(valid_topic_name("."));
  CHECK_FALSE(valid_topic_name(".."));
  CHECK_FALSE(valid_topic_name(std::string(250, 'a')));
  CHECK_FALSE(valid_topic_name("a b"));
}

TEST_CASE("a name that differs from an existing topic only by '.' versus '_' is refused",
          "[storage][topics]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->create_topic("metrics.cpu", 1, {}, nullptr) == StorageErrc::ok);
  CHECK(store->create_topic("metrics_cpu", 1, {}, nullptr) == StorageErrc::invalid_topic_name);
}

TEST_CASE("partition counts below one or above the limit are refused with invalid_partitions",
          "[storage][topics]") {
  TempDir dir;
  auto store = open_store(dir.db());
  CHECK(store->create_topic("zero", 0, {}, nullptr) == StorageErrc::invalid_partitions);
  CHECK(store->create_topic("negative", -3, {}, nullptr) == StorageErrc::invalid_partitions);
  CHECK(store->create_topic("huge", StoreOptions{}.max_partitions_per_topic + 1, {}, nullptr) ==
        StorageErrc::invalid_partitions);
  CHECK(store->list_topics().empty());
}

TEST_CASE("partition lookup returns nullptr for unknown topics and out-of-range partitions",
          "[storage][topics]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->create_topic("two", 2, {}, nullptr) == StorageErrc::ok);
  PartitionLog* first = store->partition("two", 0);
  PartitionLog* second = store->partition("two", 1);
  REQUIRE(first != nullptr);
  REQUIRE(second != nullptr);
  CHECK(first != second);
  CHECK(second->partition() == 1);
  CHECK(second->topic().name == "two");
  CHECK(store->partition("two", 0) == first);  // handles are stable
  CHECK(store->partition("two", 2) == nullptr);
  CHECK(store->partition("two", -1) == nullptr);
  CHECK(store->partition("three", 0) == nullptr);
  CHECK(first->high_watermark() == 0);
  CHECK(first->log_start_offset() == 0);
}

TEST_CASE("append assigns contiguous offsets and patches the base offset bytes",
          "[storage][append]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");

  auto first = append_and_wait(*store, log, 0, 1000);   // offset 0
  auto second = append_and_wait(*store, log, 4, 1001);  // offsets 1-5
  auto third = append_and_wait(*store, log, 2, 1002);   // offsets 6-8
  REQUIRE(first.error == StorageErrc::ok);
  REQUIRE(second.error == StorageErrc::ok);
  REQUIRE(third.error == StorageErrc::ok);
  CHECK(first.base_offset == 0);
  CHECK(second.base_offset == 1);
  CHECK(third.base_offset == 6);
  CHECK(third.log_start_offset == 0);
  CHECK(third.log_append_time_ms > 1600000000000);
  CHECK(log->high_watermark() == 9);

  auto read = store->read(log, 0, 1 << 20);
  REQUIRE(read.error == StorageErrc::ok);
  auto batches = split_batches(read.records);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].base_offset == 0);
  CHECK(batches[1].base_offset == 1);
  CHECK(batches[2].base_offset == 6);
  CHECK(batches[2].last_offset_delta == 2);
  // Everything after the base offset is stored exactly as appended.
  auto expected = make_batch(4, 1001);
  CHECK(std::equal(expected.begin() + 8, expected.end(),
                   read.records.begin() + static_cast<long>(batches[0].size) + 8));
}

TEST_CASE("partitions have independent offsets", "[storage][append]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->create_topic("t", 2, {}, nullptr) == StorageErrc::ok);
  PartitionLog* zero = store->partition("t", 0);
  PartitionLog* one = store->partition("t", 1);
  CHECK(append_and_wait(*store, zero, 9, 1).base_offset == 0);
  CHECK(append_and_wait(*store, one, 0, 1).base_offset == 0);
  CHECK(append_and_wait(*store, zero, 0, 1).base_offset == 10);
  CHECK(zero->high_watermark() == 11);
  CHECK(one->high_watermark() == 1);
  CHECK(split_batches(store->read(one, 0, 1 << 20).records).size() == 1);
}

TEST_CASE(
    "concurrent appenders from several threads all complete with contiguous, non-overlapping "
    "offsets",
    "[storage][append]") {
  TempDir dir;
  auto store = open_store(dir.db());
  constexpr int partitions = 3;
  constexpr int threads = 4;
  constexpr int per_thread = 400;
  REQUIRE(store->create_topic("busy", partitions, {}, nullptr) == StorageErrc::ok);

  struct Assigned {
    int partition;
    std::int64_t base_offset;
    std::int32_t last_offset_delta;
    StorageErrc error;
  };
  std::mutex mutex;
  std::vector<Assigned> assigned;
  std::atomic<int> completions{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < threads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const int partition = (t + i) % partitions;
        const std::int32_t delta = (t * 7 + i) % 4;
        const auto durability = i % 10 == 0 ? Durability::synced : Durability::written;
        store->append(store->partition("busy", partition), make_batch(delta, i), delta, i,
                      durability, [&, partition, delta](const AppendResult& result) {
                        std::lock_guard lock(mutex);
                        assigned.push_back({partition, result.base_offset, delta, result.error});
                        completions.fetch_add(1);
                      });
      }
    });
  }
  for (auto& producer : producers) producer.join();
  while (completions.load() < threads * per_thread) std::this_thread::yield();

  std::lock_guard lock(mutex);
  REQUIRE(assigned.size() == threads * per_thread);
  for (int p = 0; p < partitions; ++p) {
    std::vector<Assigned> mine;
    for (const auto& a : assigned)
      if (a.partition == p) mine.push_back(a);
    std::sort(mine.begin(), mine.end(),
              [](const auto& a, const auto& b) { return a.base_offset < b.base_offset; });
    std::int64_t next = 0;
    for (const auto& a : mine) {
      REQUIRE(a.error == StorageErrc::ok);
      REQUIRE(a.base_offset == next);
      next = a.base_offset + a.last_offset_delta + 1;
    }
    CHECK(store->partition("busy", p)->high_watermark() == next);
    // The stored batches agree with what the callers were told.
    auto batches = split_batches(store->read(store->partition("busy", p), 0, 64 << 20).records);
    REQUIRE(batches.size() == mine.size());
    for (std::size_t i = 0; i < batches.size(); ++i)
      CHECK(batches[i].base_offset == mine[i].base_offset);
  }
  const auto stats = store->commit_stats();
  CHECK(stats.appends == threads * per_thread);
  CHECK(stats.groups <= stats.appends);
  CHECK(stats.synced_groups >= 1);
  CHECK(stats.failed_groups == 0);
}

TEST_CASE("an append shorter than the batch header fails alone with storage_error",
          "[storage][append]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");
  std::promise<AppendResult> short_result;
  store->append(log, std::vector<std::byte>(60), 0, 0, Durability::written,
                [&](const AppendResult& result) { short_result.set_value(result); });
  auto good = append_and_wait(*store, log, 0, 0);
  CHECK(short_result.get_future().get().error == StorageErrc::storage_error);
  CHECK(good.error == StorageErrc::ok);
  CHECK(good.base_offset == 0);
  CHECK(log->high_watermark() == 1);
}

TEST_CASE(
    "an append whose last_offset_delta disagrees with its header fails alone with storage_error",
    "[storage][append]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");
  std::promise<AppendResult> mismatched;
  store->append(log, make_batch(4, 0), 3, 0, Durability::written,
                [&](const AppendResult& result) { mismatched.set_value(result); });
  CHECK(mismatched.get_future().get().error == StorageErrc::storage_error);
  CHECK(append_and_wait(*store, log, 4, 0).base_offset == 0);
  CHECK(log->high_watermark() == 5);
}

TEST_CASE("an append to a null partition completes with unknown_topic_or_partition",
          "[storage][append]") {
  TempDir dir;
  auto store = open_store(dir.db());
  std::promise<AppendResult> promise;
  store->append(nullptr, make_batch(0, 0), 0, 0, Durability::written,
                [&](const AppendResult& result) { promise.set_value(result); });
  const AppendResult result = promise.get_future().get();
  CHECK(result.error == StorageErrc::unknown_topic_or_partition);
  CHECK(result.base_offset == -1);
  CHECK(result.log_start_offset == -1);
}

TEST_CASE("read returns whole batches starting with the batch that contains the fetch offset",
          "[storage][read]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");
  for (int i = 0; i < 4; ++i) append_and_wait(*store, log, 4, i);  // batches at 0, 5, 10, 15

  auto read = store->read(log, 7, 1 << 20);
  REQUIRE(read.error == StorageErrc::ok);
  CHECK(read.high_watermark == 20);
  CHECK(read.log_start_offset == 0);
  auto batches = split_batches(read.records);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].base_offset == 5);
  CHECK(batches[2].base_offset == 15);

  CHECK(split_batches(store->read(log, 15, 1 << 20).records).front().base_offset == 15);
  CHECK(split_batches(store->read(log, 19, 1 << 20).records).front().base_offset == 15);
}

TEST_CASE("read honours max_bytes but always returns at least one whole batch", "[storage][read]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");
  for (int i = 0; i < 5; ++i) append_and_wait(*store, log, 0, i, 939);  // 1000-byte batches
  CHECK(split_batches(store->read(log, 0, 2999).records).size() == 2);
  CHECK(split_batches(store->read(log, 0, 3000).records).size() == 3);
  CHECK(split_batches(store->read(log, 0, 3001).records).size() == 3);
  CHECK(split_batches(store->read(log, 0, 1).records).size() == 1);
  CHECK(split_batches(store->read(log, 2, 0).records).size() == 1);
  CHECK(split_batches(store->read(log, 2, -5).records).size() == 1);
  CHECK(store->read(log, 0, 1).records.size() == 1000);
}

TEST_CASE("a batch read past max_bytes is kept for the next read, which returns the same bytes",
          "[storage][read]") {
  TempDir dir;
  StoreOptions options;
  options.tail_cache_bytes = 0;  // every read goes to RocksDB
  auto store = open_store(dir.db(), options);
  PartitionLog* log = create_and_get(*store, "t");
  for (int i = 0; i < 5; ++i) append_and_wait(*store, log, 1, i, 939);  // 1000 B, 2 offsets
  const auto whole_log = store->read(log, 0, 1 << 20).records;
  REQUIRE(whole_log.size() == 5000);
  CHECK(store->read_ahead_bytes() == 0);

  auto first = store->read(log, 0, 2500);
  REQUIRE(split_batches(first.records).size() == 2);
  CHECK(store->read_ahead_bytes() == 1000);  // the third batch, loaded but not returned

  auto rest = store->read(log, 4, 1 << 20);  // starts at the kept batch
  REQUIRE(rest.error == StorageErrc::ok);
  CHECK(store->read_ahead_bytes() == 0);
  CHECK(rest.records == std::vector<std::byte>(whole_log.begin() + 2000, whole_log.end()));

  // The kept batch alone fills the limit: answered without loading the one after it.
  CHECK(split_batches(store->read(log, 2, 1500).records).size() == 1);
  CHECK(store->read_ahead_bytes() == 1000);
  auto only_kept = store->read(log, 4, 1000);
  CHECK(only_kept.records ==
        std::vector<std::byte>(whole_log.begin() + 2000, whole_log.begin() + 3000));
  CHECK(store->read_ahead_bytes() == 0);

  // A kept batch that does not start at the fetch offset is left alone.
  CHECK(split_batches(store->read(log, 4, 1500).records).size() == 1);
  CHECK(store->read_ahead_bytes() == 1000);  // the batch at offset 6
  CHECK(store->read(log, 7, 1 << 20).records ==
        std::vector<std::byte>(whole_log.begin() + 3000, whole_log.end()));
  CHECK(store->read_ahead_bytes() == 1000);
  CHECK(store->read(log, 6, 1 << 20).records ==
        std::vector<std::byte>(whole_log.begin() + 3000, whole_log.end()));
  CHECK(store->read_ahead_bytes() == 0);
}

TEST_CASE("deleting a topic drops the batch kept by its last read", "[storage][read]") {
  TempDir dir;
  StoreOptions options;
  options.tail_cache_bytes = 0;
  auto store = open_store(dir.db(), options);
  PartitionLog* log = create_and_get(*store, "t");
  for (int i = 0; i < 3; ++i) append_and_wait(*store, log, 0, i, 939);
  REQUIRE(split_batches(store->read(log, 0, 1500).records).size() == 1);
  REQUIRE(store->read_ahead_bytes() == 1000);
  REQUIRE(store->delete_topic("t") == StorageErrc::ok);
  CHECK(store->read_ahead_bytes() == 0);
}

TEST_CASE("read at the high watermark is empty and outside the log is offset_out_of_range",
          "[storage][read]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");

  auto empty_log = store->read(log, 0, 1 << 20);
  CHECK(empty_log.error == StorageErrc::ok);
  CHECK(empty_log.records.empty());
  CHECK(store->read(log, 1, 1 << 20).error == StorageErrc::offset_out_of_range);

  append_and_wait(*store, log, 2, 0);
  auto at_end = store->read(log, 3, 1 << 20);
  CHECK(at_end.error == StorageErrc::ok);
  CHECK(at_end.records.empty());
  CHECK(at_end.high_watermark == 3);

  auto beyond = store->read(log, 4, 1 << 20);
  CHECK(beyond.error == StorageErrc::offset_out_of_range);
  CHECK(beyond.high_watermark == 3);
  CHECK(beyond.log_start_offset == 0);
  CHECK(store->read(log, -1, 1 << 20).error == StorageErrc::offset_out_of_range);
}

TEST_CASE(
    "reopening recovers topics, ids, cluster id, high watermarks and log start, and appends "
    "continue without a gap",
    "[storage][recovery]") {
  TempDir dir;
  std::string cluster_id;
  TopicDescription created;
  {
    auto store = open_store(dir.db());
    cluster_id = store->cluster_id();
    CHECK(cluster_id.size() == 22);
    REQUIRE(store->create_topic("kept", 2, {{"segment.ms", "10"}}, &created) == StorageErrc::ok);
    PartitionLog* log = store->partition("kept", 1);
    append_and_wait(*store, log, 3, 100);
    append_and_wait(*store, log, 0, 50);
    append_and_wait(*store, log, 5, 200, 16, Durability::synced);
  }
  auto store = open_store(dir.db());
  CHECK(store->cluster_id() == cluster_id);
  auto found = store->find_topic("kept");
  REQUIRE(found);
  CHECK(found->topic_id == created.topic_id);
  CHECK(found->internal_id == created.internal_id);
  CHECK(found->partition_count == 2);
  CHECK(found->configs == created.configs);
  REQUIRE(store->find_topic(created.topic_id));

  PartitionLog* log = store->partition("kept", 1);
  REQUIRE(log != nullptr);
  CHECK(log->high_watermark() == 11);
  CHECK(log->log_start_offset() == 0);
  CHECK(store->partition("kept", 0)->high_watermark() == 0);

  auto next = append_and_wait(*store, log, 0, 300);
  CHECK(next.base_offset == 11);
  auto batches = split_batches(store->read(log, 0, 1 << 20).records);
  REQUIRE(batches.size() == 4);
  CHECK(batches[3].base_offset == 11);

  // The running max timestamp was recovered too: 250 is in the batch at 11 (max 300),
  // not in a new index entry shadowing the one for 200.
  CHECK(store->offset_for_timestamp(log, 150) == std::pair<std::int64_t, std::int64_t>{5, 200});
  CHECK(store->offset_for_timestamp(log, 250) == std::pair<std::int64_t, std::int64_t>{11, 300});

  // A second topic gets a fresh internal id after reopening.
  TopicDescription second;
  REQUIRE(store->create_topic("second", 1, {}, &second) == StorageErrc::ok);
  CHECK(second.internal_id != created.internal_id);
}

TEST_CASE("recovery reads each partition's bounds with seeks", "[storage][recovery]") {
  // Several topics and partitions interleaved in key order: each recovers its own bounds.
  TempDir dir;
  {
    auto store = open_store(dir.db());
    REQUIRE(store->create_topic("a", 3, {}, nullptr) == StorageErrc::ok);
    REQUIRE(store->create_topic("b", 2, {}, nullptr) == StorageErrc::ok);
    for (int p = 0; p < 3; ++p)
      for (int i = 0; i <= p; ++i) append_and_wait(*store, store->partition("a", p), p, i);
    append_and_wait(*store, store->partition("b", 1), 99, 0);
  }
  auto store = open_store(dir.db());
  CHECK(store->partition("a", 0)->high_watermark() == 1);
  CHECK(store->partition("a", 1)->high_watermark() == 4);
  CHECK(store->partition("a", 2)->high_watermark() == 9);
  CHECK(store->partition("b", 0)->high_watermark() == 0);
  CHECK(store->partition("b", 1)->high_watermark() == 100);
}

TEST_CASE("offset_for_timestamp returns the first batch whose max timestamp reaches the target",
          "[storage][timeindex]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");
  using Answer = std::pair<std::int64_t, std::int64_t>;
  CHECK(store->offset_for_timestamp(log, 0) == Answer{-1, -1});

  append_and_wait(*store, log, 1, 100);  // offsets 0-1
  append_and_wait(*store, log, 0, 300);  // 2
  append_and_wait(*store, log, 0, 200);  // 3: below the running max, no index entry
  append_and_wait(*store, log, 2, 400);  // 4-6

  CHECK(store->offset_for_timestamp(log, 0) == Answer{0, 100});
  CHECK(store->offset_for_timestamp(log, 100) == Answer{0, 100});
  CHECK(store->offset_for_timestamp(log, 101) == Answer{2, 300});
  CHECK(store->offset_for_timestamp(log, 250) == Answer{2, 300});
  CHECK(store->offset_for_timestamp(log, 300) == Answer{2, 300});
  CHECK(store->offset_for_timestamp(log, 301) == Answer{4, 400});
  CHECK(store->offset_for_timestamp(log, 400) == Answer{4, 400});
  CHECK(store->offset_for_timestamp(log, 401) == Answer{-1, -1});

  CHECK(store->offset_for_max_timestamp(log) == Answer{6, 400});
}

TEST_CASE("offset_for_max_timestamp of an empty partition is -1", "[storage][timeindex]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");
  CHECK(store->offset_for_max_timestamp(log) == std::pair<std::int64_t, std::int64_t>{-1, -1});
}

TEST_CASE("time index entries of one partition do not leak into its neighbours",
          "[storage][timeindex]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->create_topic("t", 3, {}, nullptr) == StorageErrc::ok);
  append_and_wait(*store, store->partition("t", 0), 0, 10);
  append_and_wait(*store, store->partition("t", 2), 0, 10);
  CHECK(store->offset_for_timestamp(store->partition("t", 1), 0).first == -1);
  CHECK(store->offset_for_timestamp(store->partition("t", 0), 11).first == -1);
  CHECK(store->offset_for_max_timestamp(store->partition("t", 1)).first == -1);
}

TEST_CASE("the destructor completes every queued append", "[storage][shutdown]") {
  TempDir dir;
  constexpr int appends = 2000;
  std::atomic<int> ok{0};
  std::atomic<int> completions{0};
  {
    auto store = open_store(dir.db());
    PartitionLog* log = create_and_get(*store, "t");
    for (int i = 0; i < appends; ++i) {
      store->append(log, make_batch(0, i), 0, i, Durability::written,
                    [&](const AppendResult& result) {
                      if (result.error == StorageErrc::ok) ok.fetch_add(1);
                      completions.fetch_add(1);
                    });
    }
  }
  CHECK(completions.load() == appends);
  CHECK(ok.load() == appends);
  auto store = open_store(dir.db());
  CHECK(store->partition("t", 0)->high_watermark() == appends);
}

TEST_CASE("the append listener runs after commits and stops once cleared", "[storage][append]") {
  TempDir dir;
  auto store = open_store(dir.db());
  PartitionLog* log = create_and_get(*store, "t");
  std::atomic<int> calls{0};
  std::atomic<std::int64_t> seen_watermark{-1};
  store->set_append_listener([&] {
    seen_watermark.store(log->high_watermark());
    calls.fetch_add(1);
  });
  append_and_wait(*store, log, 0, 0);
  // The completion runs before the listener; the next append's group follows it.
  append_and_wait(*store, log, 0, 0);
  CHECK(calls.load() >= 1);
  CHECK(seen_watermark.load() >= 1);
  store->set_append_listener({});
  const int before = calls.load();
  append_and_wait(*store, log, 0, 0);
  append_and_wait(*store, log, 0, 0);
  CHECK(calls.load() == before);
}

// Run in a child process by the next test: appends, waits for the acknowledgements and
// dies by SIGKILL without closing the store.
TEST_CASE("crash child: acknowledge appends then die", "[.crash-child]") {
  const char* path = std::getenv("WEIR_STORAGE_CRASH_DB");
  REQUIRE(path != nullptr);
  auto store = open_store(path);
  PartitionLog* log = create_and_get(*store, "t");
  for (int i = 0; i < 50; ++i) append_and_wait(*store, log, 1, i, 100, Durability::written);
  for (int i = 0; i < 50; ++i) append_and_wait(*store, log, 1, i, 100, Durability::synced);
  ::kill(::getpid(), SIGKILL);
}

TEST_CASE("acknowledged appends survive a kill -9 and offsets stay contiguous",
          "[storage][recovery]") {
  TempDir dir;
  REQUIRE(::setenv("WEIR_STORAGE_CRASH_DB", dir.db().c_str(), 1) == 0);
  std::string self(4096, '\0');
  const auto length = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  REQUIRE(length > 0);
  self.resize(static_cast<std::size_t>(length));
  std::string test_name = "crash child: acknowledge appends then die";
  char* argv[] = {self.data(), test_name.data(), nullptr};
  pid_t child = 0;
  REQUIRE(::posix_spawn(&child, self.c_str(), nullptr, nullptr, argv, environ) == 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::unsetenv("WEIR_STORAGE_CRASH_DB");
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  auto store = open_store(dir.db());
  PartitionLog* log = store->partition("t", 0);
  REQUIRE(log != nullptr);
  CHECK(log->high_watermark() == 200);
  auto batches = split_batches(store->read(log, 0, 64 << 20).records);
  REQUIRE(batches.size() == 100);
  for (std::size_t i = 0; i < batches.size(); ++i)
    CHECK(batches[i].base_offset == static_cast<std::int64_t>(2 * i));
  CHECK(append_and_wait(*store, log, 0, 0).base_offset == 200);
}

}  // namespace
}  // namespace weir::storage
