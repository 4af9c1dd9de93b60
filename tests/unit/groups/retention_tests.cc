// Offset retention (KIP-211) and the offsets of deleted topics, with a hand-moved clock.
#include <catch2/catch.hpp>

#include "tests/unit/groups/coordinator_fixture.h"

namespace weir::groups::test {
namespace {

using std::chrono::minutes;

// Committed now, by the wall clock, as the OffsetCommit handler stamps it.
storage::CommittedOffset offset(std::string topic, std::int32_t partition, std::int64_t value) {
  const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return storage::CommittedOffset{std::move(topic), partition, value, -1, "", wall_ms.count()};
}

struct RetentionFixture : Fixture {
  RetentionFixture() {
    options.offsets_retention = minutes(60);
    options.offsets_retention_check_interval = minutes(1);
    coordinator.emplace(options, nullptr);
  }

  // A Stable consumer group "g" of one member subscribed to `topic`; returns its id.
  std::string member_subscribed_to(std::string_view topic) {
    JoinRequest request = join_request("");
    request.require_known_member_id = false;
    request.protocols = {Protocol{"range", subscription_to(topic)}};
    auto joined = join(request);
    REQUIRE(joined->has_value());
    sync((*joined)->member_id, (*joined)->generation_id);
    REQUIRE(state() == GroupState::stable);
    return (*joined)->member_id;
  }

  void commit(const std::string& group_id, std::int32_t generation, const std::string& member_id,
              std::vector<storage::CommittedOffset> offsets) {
    auto errors = c().commit_offsets(
        CommitRequest{group_id, generation, member_id, std::nullopt, offsets}, now);
    REQUIRE(errors == std::vector<ErrorCode>(offsets.size(), ErrorCode::none));
  }

  std::size_t offsets_of(const std::string& group_id) {
    return c().fetch_offsets(group_id, std::nullopt).size();
  }
};

}  // namespace

TEST_CASE_METHOD(
    RetentionFixture,
    "an Empty group's offsets expire once it has been Empty for the retention, then it goes") {
  std::string id = member_subscribed_to("t");
  commit("g", generation(), id, {offset("t", 0, 5), offset("t", 1, 6)});
  now += minutes(90);  // older than the retention, but the group was not Empty
  CHECK(c().expire_offsets(now) == 0);
  c().heartbeat(HeartbeatRequest{"g", generation(), id, std::nullopt}, now);
  c().leave("g", {{id, std::nullopt}}, now);
  REQUIRE(state() == GroupState::empty);
  now += minutes(59);
  CHECK(c().expire_offsets(now) == 0);
  CHECK(offsets_of("g") == 2);
  now += minutes(1);
  CHECK(c().expire_offsets(now) == 2);
  CHECK(c().find_group("g") == nullptr);
  CHECK(c().list_groups({}).empty());
  CHECK(c().describe_group("g").state == GroupState::dead);
  CHECK(c().fetch_offsets("g", std::vector<storage::TopicPartitionName>{{"t", 0}})[0].offset == -1);
}

TEST_CASE_METHOD(RetentionFixture,
                 "a Stable group keeps its subscribed topics' offsets; a dropped topic's expire by "
                 "commit time") {
  std::string id = member_subscribed_to("orders");
  commit("g", generation(), id, {offset("orders", 0, 1), offset("old", 0, 2), offset("old", 1, 3)});
  now += minutes(30);
  commit("g", generation(), id, {offset("old", 1, 4)});
  now += minutes(30);
  CHECK(c().expire_offsets(now) == 1);  // old-0, committed an hour ago
  auto left = c().fetch_offsets("g", std::nullopt);
  REQUIRE(left.size() == 2);
  CHECK(left[0].topic == "old");
  CHECK(left[0].partition == 1);
  CHECK(left[1].topic == "orders");
  now += minutes(600);
  CHECK(c().expire_offsets(now) == 1);  // old-1; orders stays while subscribed
  CHECK(offsets_of("g") == 1);
  CHECK(state() == GroupState::stable);
}

TEST_CASE_METHOD(
    RetentionFixture,
    "offsets of a group whose subscriptions do not decode are kept while it has members") {
  stable_single_member();  // metadata "sub" is no ConsumerProtocolSubscription
  commit("g", -1, "", {offset("t", 0, 1)});
  now += minutes(600);
  CHECK(c().expire_offsets(now) == 0);
  CHECK(offsets_of("g") == 1);
}

TEST_CASE_METHOD(
    RetentionFixture,
    "commits outside group management expire one by one, retention after each commit") {
  commit("simple", -1, "", {offset("t", 0, 1)});
  now += minutes(30);
  commit("simple", -1, "", {offset("t", 1, 1)});
  now += minutes(30);
  CHECK(c().expire_offsets(now) == 1);
  CHECK(offsets_of("simple") == 1);
  CHECK(c().find_group("simple") != nullptr);
  now += minutes(30);
  CHECK(c().expire_offsets(now) == 1);
  CHECK(c().find_group("simple") == nullptr);
}

TEST_CASE_METHOD(RetentionFixture,
                 "the retention check runs from advance_to once per check interval") {
  commit("simple", -1, "", {offset("t", 0, 1)});
  c().advance_to(now);  // the first call starts the interval
  REQUIRE(c().next_deadline().has_value());
  CHECK(*c().next_deadline() == now + minutes(1));
  now += minutes(61);
  c().advance_to(now);
  CHECK(c().find_group("simple") == nullptr);
  CHECK(*c().next_deadline() == now + minutes(1));
}

TEST_CASE_METHOD(
    RetentionFixture,
    "deleting a topic removes its offsets from every group; an Empty group left without any goes") {
  commit("simple", -1, "", {offset("gone", 0, 1)});
  std::string id = member_subscribed_to("gone");
  commit("g", generation(), id, {offset("gone", 0, 7), offset("kept", 0, 8)});
  c().remove_offsets_of_topic("gone");
  CHECK(c().find_group("simple") == nullptr);
  auto left = c().fetch_offsets("g", std::nullopt);
  REQUIRE(left.size() == 1);
  CHECK(left[0].topic == "kept");
}

TEST_CASE_METHOD(RetentionFixture,
                 "expired offsets are deleted from storage and stay gone after a restart") {
  TempDir dir;
  auto store = open_store(dir);
  coordinator.emplace(options, store.get());
  commit("simple", -1, "", {offset("t", 0, 1)});
  now += minutes(30);
  commit("simple", -1, "", {offset("t", 1, 2)});
  now += minutes(30);
  REQUIRE(c().expire_offsets(now) == 1);
  coordinator.emplace(options, store.get());
  std::string error;
  REQUIRE(c().load(now, &error));
  auto left = c().fetch_offsets("simple", std::nullopt);
  REQUIRE(left.size() == 1);
  CHECK(left[0].partition == 1);
  // A loaded commit counts from its stored (wall-clock) commit time, here a moment ago.
  now += minutes(59);
  CHECK(c().expire_offsets(now) == 0);
  now += minutes(2);
  CHECK(c().expire_offsets(now) == 1);
  CHECK(c().find_group("simple") == nullptr);
  coordinator.emplace(options, store.get());
  REQUIRE(c().load(now, &error));
  CHECK(c().find_group("simple") == nullptr);
}

}  // namespace weir::groups::test
