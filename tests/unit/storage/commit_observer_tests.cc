#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/commit_observer.h"
#include "storage/store.h"
#include "test_support.h"

namespace weir::storage {
namespace {

using test::append_and_wait;
using test::open_store;
using test::TempDir;

// Keeps every observation; the writer thread reports, the test thread reads.
class RecordingObserver final : public CommitObserver {
 public:
  struct Group {
    std::size_t appends;
    std::uint64_t bytes;
  };

  void group_written(std::size_t appends, std::uint64_t bytes) override {
    std::lock_guard lock(mutex_);
    groups_.push_back({appends, bytes});
  }
  void wal_synced(std::chrono::nanoseconds duration) override {
    std::lock_guard lock(mutex_);
    syncs_.push_back(duration);
  }
  std::vector<Group> groups() const {
    std::lock_guard lock(mutex_);
    return groups_;
  }
  std::vector<std::chrono::nanoseconds> syncs() const {
    std::lock_guard lock(mutex_);
    return syncs_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Group> groups_;
  std::vector<std::chrono::nanoseconds> syncs_;
};

PartitionLog* make_topic(Store& store) {
  REQUIRE(store.create_topic("t", 1, {}, nullptr) == StorageErrc::ok);
  return store.partition("t", 0);
}

TEST_CASE("the commit observer sees each group's appends and bytes, and no sync for acks=1",
          "[storage][observer]") {
  TempDir dir;
  RecordingObserver observer;
  StoreOptions options;
  options.commit_observer = &observer;
  auto store = open_store(dir.db(), options);
  PartitionLog* log = make_topic(*store);
  for (int i = 0; i < 3; ++i)
    REQUIRE(append_and_wait(*store, log, 0, i, 100, Durability::written).error == StorageErrc::ok);
  const auto groups = observer.groups();
  REQUIRE(groups.size() == 3);
  std::uint64_t bytes = 0;
  for (const auto& group : groups) {
    CHECK(group.appends == 1);
    bytes += group.bytes;
  }
  CHECK(bytes == store->commit_stats().bytes);
  CHECK(observer.syncs().empty());
}

TEST_CASE("the commit observer times every WAL fsync: acks=all groups and interval syncs",
          "[storage][observer]") {
  TempDir dir;
  RecordingObserver observer;
  StoreOptions options;
  options.commit_observer = &observer;
  SECTION("acks=all") {
    auto store = open_store(dir.db(), options);
    PartitionLog* log = make_topic(*store);
    for (int i = 0; i < 2; ++i)
      REQUIRE(append_and_wait(*store, log, 0, i, 16, Durability::synced).error == StorageErrc::ok);
    CHECK(observer.syncs().size() == store->commit_stats().synced_groups);
    CHECK(observer.syncs().size() == 2);
  }
  SECTION("DURABILITY=interval") {
    options.durability_policy = DurabilityPolicy::interval;
    options.flush_interval = std::chrono::milliseconds(10);
    auto store = open_store(dir.db(), options);
    PartitionLog* log = make_topic(*store);
    REQUIRE(append_and_wait(*store, log, 0, 0, 16, Durability::synced).error == StorageErrc::ok);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (store->commit_stats().interval_syncs == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(store->commit_stats().interval_syncs >= 1);
    CHECK(observer.syncs().size() == store->commit_stats().interval_syncs);
  }
  for (const auto duration : observer.syncs()) CHECK(duration.count() >= 0);
}

TEST_CASE("storage usage reports the WAL, then SST and blob files after a flush, and no stall",
          "[storage][observer]") {
  TempDir dir;
  StoreOptions options;
  options.min_blob_bytes = 1024;
  {
    auto store = open_store(dir.db(), options);
    PartitionLog* log = make_topic(*store);
    REQUIRE(append_and_wait(*store, log, 0, 0, 64).error == StorageErrc::ok);
    REQUIRE(append_and_wait(*store, log, 0, 1, 8192).error == StorageErrc::ok);
    const StorageUsage usage = store->usage();
    CHECK(usage.wal_bytes >= 8192);
    CHECK_FALSE(usage.writes_stopped);
    CHECK(usage.delayed_write_rate == 0);
    CHECK(usage.write_stall_micros == 0);
  }
  // Closing flushes the memtables: the batches are now in an SST and a blob file.
  auto store = open_store(dir.db(), options);
  const StorageUsage usage = store->usage();
  CHECK(usage.live_sst_bytes > 0);
  CHECK(usage.live_blob_bytes >= 8192);
}

}  // namespace
}  // namespace weir::storage
