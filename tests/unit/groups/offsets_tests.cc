// Committed offsets and what survives a restart of the coordinator (a real RocksDB store).
#include <catch2/catch.hpp>

#include "groups/membership_record.h"
#include "tests/unit/groups/coordinator_fixture.h"

namespace weir::groups::test {
namespace {

storage::CommittedOffset offset(std::string topic, std::int32_t partition, std::int64_t value,
                                std::string metadata = "") {
  return storage::CommittedOffset{std::move(topic),    partition,    value, 3,
                                  std::move(metadata), 1700000000000};
}

CommitRequest commit(std::int32_t generation, std::string member_id,
                     std::vector<storage::CommittedOffset> offsets) {
  return CommitRequest{"g", generation, std::move(member_id), std::nullopt, std::move(offsets)};
}

}  // namespace

TEST_CASE_METHOD(
    Fixture, "a generation -1 commit creates an Empty group whose offsets OffsetFetch returns") {
  auto errors =
      c().commit_offsets(commit(-1, "", {offset("t", 0, 42, "meta"), offset("t", 1, 7)}), now);
  CHECK(errors == std::vector<ErrorCode>{ErrorCode::none, ErrorCode::none});
  CHECK(state() == GroupState::empty);
  auto fetched =
      c().fetch_offsets("g", std::vector<storage::TopicPartitionName>{{"t", 0}, {"t", 2}});
  REQUIRE(fetched.size() == 2);
  CHECK(fetched[0].offset == 42);
  CHECK(fetched[0].metadata == "meta");
  CHECK(fetched[0].leader_epoch == 3);
  CHECK(fetched[1].offset == -1);
  CHECK(c().fetch_offsets("g", std::nullopt).size() == 2);
  CHECK(c().fetch_offsets("unknown", std::nullopt).empty());
}

TEST_CASE_METHOD(
    Fixture,
    "a commit naming a generation for a group that does not exist gets ILLEGAL_GENERATION") {
  auto errors = c().commit_offsets(commit(3, "m", {offset("t", 0, 1)}), now);
  CHECK(errors == std::vector<ErrorCode>{ErrorCode::illegal_generation});
  CHECK(c().find_group("g") == nullptr);
}

TEST_CASE_METHOD(Fixture, "commits are checked against member, generation and state") {
  auto [a, b] = stable_two_members();
  CHECK(c().commit_offsets(commit(generation(), a, {offset("t", 0, 5)}), now)[0] ==
        ErrorCode::none);
  CHECK(c().commit_offsets(commit(generation() - 1, a, {offset("t", 0, 5)}), now)[0] ==
        ErrorCode::illegal_generation);
  CHECK(c().commit_offsets(commit(generation(), "stranger", {offset("t", 0, 5)}), now)[0] ==
        ErrorCode::unknown_member_id);
  join(join_request(a, "changed"));
  REQUIRE(state() == GroupState::preparing_rebalance);
  // Eager clients commit what they processed while rejoining: still allowed.
  CHECK(c().commit_offsets(commit(generation(), b, {offset("t", 0, 6)}), now)[0] ==
        ErrorCode::none);
  join(join_request(b));
  REQUIRE(state() == GroupState::completing_rebalance);
  CHECK(c().commit_offsets(commit(generation(), b, {offset("t", 0, 7)}), now)[0] ==
        ErrorCode::rebalance_in_progress);
}

TEST_CASE_METHOD(Fixture,
                 "commit metadata longer than the limit gets OFFSET_METADATA_TOO_LARGE for that "
                 "partition only") {
  auto errors = c().commit_offsets(
      commit(-1, "", {offset("t", 0, 1, std::string(5000, 'x')), offset("t", 1, 2)}), now);
  CHECK(errors == std::vector<ErrorCode>{ErrorCode::offset_metadata_too_large, ErrorCode::none});
  CHECK(c().fetch_offsets("g", std::nullopt).size() == 1);
}

TEST_CASE_METHOD(
    Fixture, "OffsetDelete refuses topics the live group subscribes to and deletes the others") {
  JoinRequest request = join_request("");
  request.require_known_member_id = false;
  request.protocols = {Protocol{"range", subscription_to("orders")}};
  auto joined = join(request);
  sync((*joined)->member_id, (*joined)->generation_id);
  c().commit_offsets(commit(-1, "", {offset("orders", 0, 1), offset("old", 0, 2)}), now);
  auto result = c().delete_offsets("g", {{"orders", 0}, {"old", 0}});
  CHECK(result.error == ErrorCode::none);
  CHECK(result.partitions ==
        std::vector<ErrorCode>{ErrorCode::group_subscribed_to_topic, ErrorCode::none});
  CHECK(c().fetch_offsets("g", std::nullopt).size() == 1);
  CHECK(c().delete_offsets("unknown", {{"old", 0}}).error == ErrorCode::group_id_not_found);
}

TEST_CASE("the membership record round-trips generation, protocol, members and assignments") {
  Group group;
  group.protocol_type = "consumer";
  group.protocol_name = "range";
  group.generation_id = 7;
  group.leader = "m1";
  Member member;
  member.member_id = "m1";
  member.group_instance_id = "i1";
  member.client_id = "c";
  member.session_timeout_ms = 10000;
  member.rebalance_timeout_ms = 20000;
  member.protocols = {Protocol{"range", bytes("sub")}};
  member.assignment = bytes("assign");
  group.members.emplace("m1", member);
  Group restored;
  REQUIRE(decode_membership(encode_membership(group), &restored));
  CHECK(restored.generation_id == 7);
  CHECK(restored.protocol_name == "range");
  CHECK(restored.leader == "m1");
  REQUIRE(restored.members.size() == 1);
  const Member& back = restored.members.at("m1");
  CHECK(back.group_instance_id == "i1");
  CHECK(back.session_timeout_ms == 10000);
  CHECK(*back.metadata_for("range") == bytes("sub"));
  CHECK(back.assignment == bytes("assign"));
  CHECK(restored.static_members.at("i1") == "m1");
  std::string truncated = encode_membership(group);
  truncated.pop_back();
  Group broken;
  CHECK_FALSE(decode_membership(truncated, &broken));
}

TEST_CASE_METHOD(Fixture,
                 "after a restart, offsets are served and members go on in their generation") {
  TempDir dir;
  std::string member_id;
  std::int32_t stable_generation = 0;
  {
    auto store = open_store(dir);
    coordinator.emplace(options, store.get());
    member_id = stable_single_member();
    stable_generation = generation();
    c().commit_offsets(commit(stable_generation, member_id, {offset("t", 0, 99, "m")}), now);
    c().commit_offsets(CommitRequest{"simple", -1, "", std::nullopt, {offset("t", 1, 5)}}, now);
    coordinator.reset();
  }
  auto store = open_store(dir);
  coordinator.emplace(options, store.get());
  std::string error;
  REQUIRE(c().load(now, &error));
  CHECK(state() == GroupState::stable);
  CHECK(generation() == stable_generation);
  CHECK(heartbeat(member_id, stable_generation) == ErrorCode::none);
  auto synced = sync(member_id, stable_generation);
  CHECK((*synced)->assignment == bytes("all"));
  auto fetched = c().fetch_offsets("g", std::nullopt);
  REQUIRE(fetched.size() == 1);
  CHECK(fetched[0].offset == 99);
  CHECK(fetched[0].metadata == "m");
  CHECK(c().fetch_offsets("simple", std::nullopt).size() == 1);
  CHECK(c().find_group("simple")->state == GroupState::empty);

  SECTION("members that do not come back expire and the group empties") {
    advance(session_ms);
    CHECK(state() == GroupState::empty);
  }
  SECTION("a deleted group stays deleted") {
    c().leave("g", {{member_id, std::nullopt}}, now);
    REQUIRE(c().delete_group("g") == ErrorCode::none);
    coordinator.reset();
    coordinator.emplace(options, store.get());
    REQUIRE(c().load(now, &error));
    CHECK(c().find_group("g") == nullptr);
    CHECK(c().find_group("simple") != nullptr);
  }
}

}  // namespace weir::groups::test
