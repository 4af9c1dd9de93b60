#include <catch2/catch.hpp>

#include "storage/store.h"
#include "tests/unit/storage/test_support.h"

using namespace weir::storage;
using weir::storage::test::append_and_wait;
using weir::storage::test::open_store;
using weir::storage::test::TempDir;

TEST_CASE("updated topic configs replace the overrides and survive a reopen",
          "[storage][topic-admin]") {
  TempDir dir;
  {
    auto store = open_store(dir.db());
    REQUIRE(store->create_topic("configured", 1, {{"retention.ms", "1000"}}, nullptr) ==
            StorageErrc::ok);
    REQUIRE(store->update_topic_configs(
                "configured", {{"cleanup.policy", "compact"}, {"max.message.bytes", "2048"}}) ==
            StorageErrc::ok);
    auto topic = store->find_topic("configured");
    REQUIRE(topic);
    CHECK(topic->configs.count("retention.ms") == 0);
    CHECK(topic->configs.at("cleanup.policy") == "compact");
  }
  auto store = open_store(dir.db());
  auto topic = store->find_topic("configured");
  REQUIRE(topic);
  CHECK(topic->configs == std::map<std::string, std::string>{{"cleanup.policy", "compact"},
                                                             {"max.message.bytes", "2048"}});
  auto config = store->topic_config("configured");
  REQUIRE(config);
  CHECK(config->cleanup_policy_compact);
  CHECK(config->max_message_bytes == 2048);
  CHECK(config->retention_ms == 604800000);
}

TEST_CASE("updating the configs of an unknown topic returns unknown_topic_or_partition",
          "[storage][topic-admin]") {
  TempDir dir;
  auto store = open_store(dir.db());
  CHECK(store->update_topic_configs("missing", {}) == StorageErrc::unknown_topic_or_partition);
  CHECK_FALSE(store->topic_config("missing"));
}

TEST_CASE("create_partitions grows a topic, keeps existing data and survives a reopen",
          "[storage][topic-admin]") {
  TempDir dir;
  {
    auto store = open_store(dir.db());
    REQUIRE(store->create_topic("growing", 2, {}, nullptr) == StorageErrc::ok);
    REQUIRE(append_and_wait(*store, store->partition("growing", 0), 4, 1000).error ==
            StorageErrc::ok);
    CHECK(store->partition("growing", 2) == nullptr);
    REQUIRE(store->create_partitions("growing", 5) == StorageErrc::ok);
    CHECK(store->find_topic("growing")->partition_count == 5);
    PartitionLog* added = store->partition("growing", 4);
    REQUIRE(added != nullptr);
    CHECK(added->high_watermark() == 0);
    CHECK(append_and_wait(*store, added, 0, 1000).base_offset == 0);
  }
  auto store = open_store(dir.db());
  CHECK(store->find_topic("growing")->partition_count == 5);
  CHECK(store->partition("growing", 0)->high_watermark() == 5);
  CHECK(store->partition("growing", 4)->high_watermark() == 1);
  CHECK(store->partition("growing", 3)->high_watermark() == 0);
}

TEST_CASE("create_partitions refuses shrinking, the same count and too many",
          "[storage][topic-admin]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->create_topic("fixed", 3, {}, nullptr) == StorageErrc::ok);
  CHECK(store->create_partitions("fixed", 3) == StorageErrc::invalid_partitions);
  CHECK(store->create_partitions("fixed", 1) == StorageErrc::invalid_partitions);
  CHECK(store->create_partitions("fixed", 100001) == StorageErrc::invalid_partitions);
  CHECK(store->create_partitions("missing", 4) == StorageErrc::unknown_topic_or_partition);
  CHECK(store->find_topic("fixed")->partition_count == 3);
}

TEST_CASE("approximate partition bytes grow with appended data", "[storage][topic-admin]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->create_topic("sized", 2, {}, nullptr) == StorageErrc::ok);
  for (int i = 0; i < 20; ++i)
    REQUIRE(append_and_wait(*store, store->partition("sized", 0), 0, 1000, 4096).error ==
            StorageErrc::ok);
  CHECK(store->approximate_partition_bytes(store->partition("sized", 0)) > 40000);
  CHECK(store->approximate_partition_bytes(store->partition("sized", 1)) == 0);
  CHECK(store->path() == dir.db());
}
