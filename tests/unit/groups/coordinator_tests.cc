// The classic group state machine, one transition per test.
#include <catch2/catch.hpp>

#include "tests/unit/groups/coordinator_fixture.h"

namespace weir::groups::test {

TEST_CASE_METHOD(Fixture,
                 "a first join from v4 on gets MEMBER_ID_REQUIRED with a member id to join with") {
  auto first = join(join_request(""));
  REQUIRE(first->has_value());
  CHECK((*first)->error == ErrorCode::member_id_required);
  CHECK((*first)->member_id.starts_with("client-"));
  CHECK(c().find_group("g")->pending_members.contains((*first)->member_id));
  CHECK(state() == GroupState::empty);
}

TEST_CASE_METHOD(Fixture,
                 "a pending member id that is never used expires after the session timeout") {
  auto first = join(join_request(""));
  advance(session_ms);
  CHECK(c().find_group("g") == nullptr);  // nothing left in it: forgotten
  auto late = join(join_request((*first)->member_id));
  CHECK((*late)->error == ErrorCode::unknown_member_id);
}

TEST_CASE_METHOD(Fixture, "a join before v4 is admitted at once") {
  JoinRequest request = join_request("");
  request.require_known_member_id = false;
  auto joined = join(request);
  REQUIRE(joined->has_value());
  CHECK((*joined)->error == ErrorCode::none);
  CHECK(state() == GroupState::completing_rebalance);
}

TEST_CASE_METHOD(
    Fixture,
    "Empty to CompletingRebalance: the only member leads and gets every member's metadata") {
  std::string id;
  auto joined = join_new(&id, "my-subscription");
  REQUIRE(joined->has_value());
  const JoinResult& result = **joined;
  CHECK(result.error == ErrorCode::none);
  CHECK(result.generation_id == 1);
  CHECK(result.leader == id);
  CHECK(result.member_id == id);
  CHECK(result.protocol_type == "consumer");
  CHECK(result.protocol_name == "range");
  REQUIRE(result.members.size() == 1);
  CHECK(result.members[0].metadata == bytes("my-subscription"));
  CHECK(state() == GroupState::completing_rebalance);
}

TEST_CASE_METHOD(
    Fixture,
    "CompletingRebalance to Stable: the leader's SyncGroup answers every parked follower") {
  auto [a, b] = stable_two_members();
  std::string c_id;
  auto c_join = join_new(&c_id);
  auto a_join = join(join_request(a));
  auto b_join = join(join_request(b));
  REQUIRE(a_join->has_value());
  REQUIRE(c_join->has_value());
  CHECK((*a_join)->members.size() == 3);
  CHECK((*b_join)->members.empty());
  const auto generation = (*a_join)->generation_id;
  auto b_sync = sync(b, generation);
  auto c_sync = sync(c_id, generation);
  CHECK_FALSE(b_sync->has_value());
  auto a_sync = sync(a, generation, {{a, bytes("A")}, {b, bytes("B")}});
  REQUIRE(b_sync->has_value());
  REQUIRE(c_sync->has_value());
  CHECK((*a_sync)->assignment == bytes("A"));
  CHECK((*b_sync)->assignment == bytes("B"));
  CHECK((*c_sync)->assignment.empty());  // left out by the leader: empty, as in Kafka
  CHECK((*b_sync)->protocol_name == "range");
  CHECK(state() == GroupState::stable);
}

TEST_CASE_METHOD(Fixture, "a SyncGroup in Stable returns the member's stored assignment") {
  std::string id = stable_single_member();
  auto again = sync(id, generation());
  REQUIRE(again->has_value());
  CHECK((*again)->error == ErrorCode::none);
  CHECK((*again)->assignment == bytes("all"));
}

TEST_CASE_METHOD(Fixture, "a heartbeat from an unknown member gets UNKNOWN_MEMBER_ID") {
  stable_single_member();
  CHECK(heartbeat("stranger", generation()) == ErrorCode::unknown_member_id);
  CHECK(c().heartbeat(HeartbeatRequest{"no-such-group", 1, "m", std::nullopt}, now) ==
        ErrorCode::unknown_member_id);
}

TEST_CASE_METHOD(Fixture, "a heartbeat with another generation gets ILLEGAL_GENERATION") {
  std::string id = stable_single_member();
  CHECK(heartbeat(id, generation() - 1) == ErrorCode::illegal_generation);
  CHECK(heartbeat(id, generation()) == ErrorCode::none);
}

TEST_CASE_METHOD(Fixture, "a heartbeat during PreparingRebalance gets REBALANCE_IN_PROGRESS") {
  std::string a = stable_single_member();
  std::string b;
  join_new(&b);
  REQUIRE(state() == GroupState::preparing_rebalance);
  CHECK(heartbeat(a, generation()) == ErrorCode::rebalance_in_progress);
}

TEST_CASE_METHOD(Fixture, "a heartbeat during CompletingRebalance is accepted") {
  std::string id;
  auto joined = join_new(&id);
  CHECK(heartbeat(id, (*joined)->generation_id) == ErrorCode::none);
}

TEST_CASE_METHOD(Fixture,
                 "a new member joining during CompletingRebalance starts a new rebalance and fails "
                 "parked syncs") {
  auto [a, b] = stable_two_members();
  auto a_join = join(join_request(a, "new-subscription"));  // the leader rejoins: rebalance
  auto b_join = join(join_request(b));
  REQUIRE(a_join->has_value());
  REQUIRE(state() == GroupState::completing_rebalance);
  auto b_sync = sync(b, (*b_join)->generation_id);
  CHECK_FALSE(b_sync->has_value());
  std::string c_id;
  auto c_join = join_new(&c_id);
  CHECK(state() == GroupState::preparing_rebalance);
  REQUIRE(b_sync->has_value());
  CHECK((*b_sync)->error == ErrorCode::rebalance_in_progress);
  CHECK_FALSE(c_join->has_value());
}

TEST_CASE_METHOD(
    Fixture,
    "a known member repeating its join during CompletingRebalance gets the same generation back") {
  auto [a, b] = stable_two_members();
  join(join_request(a, "changed"));
  auto b_join = join(join_request(b));
  REQUIRE(b_join->has_value());
  REQUIRE(state() == GroupState::completing_rebalance);
  auto repeated = join(join_request(b));
  REQUIRE(repeated->has_value());
  CHECK((*repeated)->generation_id == (*b_join)->generation_id);
  CHECK(state() == GroupState::completing_rebalance);
}

TEST_CASE_METHOD(Fixture, "a sync with a stale generation gets ILLEGAL_GENERATION") {
  auto [a, b] = stable_two_members();
  auto stale = sync(b, generation() - 1);
  REQUIRE(stale->has_value());
  CHECK((*stale)->error == ErrorCode::illegal_generation);
}

TEST_CASE_METHOD(Fixture,
                 "a sync during PreparingRebalance gets REBALANCE_IN_PROGRESS and from an unknown "
                 "member UNKNOWN_MEMBER_ID") {
  std::string a = stable_single_member();
  std::string b;
  join_new(&b);
  auto during = sync(a, generation());
  CHECK((*during)->error == ErrorCode::rebalance_in_progress);
  auto unknown = sync("stranger", generation());
  CHECK((*unknown)->error == ErrorCode::unknown_member_id);
}

TEST_CASE_METHOD(Fixture,
                 "a follower rejoining Stable with the same metadata gets the current generation "
                 "without a rebalance") {
  auto [a, b] = stable_two_members();
  const auto before = generation();
  auto again = join(join_request(b));
  REQUIRE(again->has_value());
  CHECK((*again)->generation_id == before);
  CHECK((*again)->members.empty());
  CHECK(state() == GroupState::stable);
}

TEST_CASE_METHOD(Fixture,
                 "Stable to PreparingRebalance when a member's session expires, then a new "
                 "generation without it") {
  auto [a, b] = stable_two_members();
  const auto before = generation();
  advance(session_ms / 2);
  REQUIRE(heartbeat(a, before) == ErrorCode::none);
  advance(session_ms / 2);  // b has been silent for a whole session
  CHECK(state() == GroupState::preparing_rebalance);
  CHECK_FALSE(c().find_group("g")->members.contains(b));
  auto a_join = join(join_request(a));
  REQUIRE(a_join->has_value());
  CHECK((*a_join)->generation_id == before + 1);
  CHECK((*a_join)->members.size() == 1);
}

TEST_CASE_METHOD(Fixture,
                 "a member that does not rejoin within the rebalance timeout is removed when the "
                 "join phase ends") {
  auto [a, b] = stable_two_members();
  auto a_join = join(join_request(a, "changed"));
  CHECK_FALSE(a_join->has_value());
  for (int elapsed = 0; elapsed < rebalance_ms; elapsed += session_ms / 2) {
    REQUIRE(heartbeat(b, generation()) ==
            ErrorCode::rebalance_in_progress);  // alive, but never rejoins
    advance(session_ms / 2);
  }
  REQUIRE(a_join->has_value());
  CHECK((*a_join)->members.size() == 1);
  CHECK_FALSE(c().find_group("g")->members.contains(b));
  CHECK(state() == GroupState::completing_rebalance);
}

TEST_CASE_METHOD(
    Fixture, "a member that leaves starts a rebalance; the last one to leave empties the group") {
  auto [a, b] = stable_two_members();
  const auto before = generation();
  LeaveResult left = c().leave("g", {{b, std::nullopt}}, now);
  CHECK(left.members == std::vector<ErrorCode>{ErrorCode::none});
  CHECK(state() == GroupState::preparing_rebalance);
  LeaveResult last = c().leave("g", {{a, std::nullopt}}, now);
  CHECK(last.members == std::vector<ErrorCode>{ErrorCode::none});
  CHECK(state() == GroupState::empty);
  CHECK(generation() == before + 1);
  CHECK(c().leave("g", {{"stranger", std::nullopt}}, now).members ==
        std::vector<ErrorCode>{ErrorCode::unknown_member_id});
}

TEST_CASE_METHOD(Fixture,
                 "a leader that leaves mid-rebalance hands leadership to a remaining member") {
  auto [a, b] = stable_two_members();
  auto b_join = join(join_request(b, "changed"));
  c().leave("g", {{a, std::nullopt}}, now);
  REQUIRE(b_join->has_value());
  CHECK((*b_join)->leader == b);
  CHECK((*b_join)->members.size() == 1);
}

TEST_CASE_METHOD(
    Fixture,
    "the initial rebalance delay collects members that arrive together into one generation") {
  options.initial_rebalance_delay_ms = 3000;
  coordinator.emplace(options, nullptr);
  std::string a, b;
  auto a_join = join_new(&a);
  advance(1000);
  auto b_join = join_new(&b);
  advance(2000);  // the first delay ends, but b arrived during it: one more delay
  CHECK_FALSE(a_join->has_value());
  advance(3000);
  REQUIRE(a_join->has_value());
  REQUIRE(b_join->has_value());
  CHECK((*a_join)->generation_id == 1);
  CHECK((*b_join)->generation_id == 1);
  CHECK((*a_join)->members.size() == 2);
}

TEST_CASE_METHOD(Fixture,
                 "an Empty group keeps its committed offsets, and one without any is forgotten") {
  std::string id = stable_single_member();
  c().commit_offsets(CommitRequest{"g", generation(), id, std::nullopt, {{"t", 0, 5, -1, "", 0}}},
                     now);
  c().leave("g", {{id, std::nullopt}}, now);
  advance(session_ms);
  REQUIRE(c().find_group("g") != nullptr);
  CHECK(state() == GroupState::empty);
  c().delete_offsets("g", {{"t", 0}});
  advance(session_ms);
  CHECK(c().find_group("g") == nullptr);
  JoinRequest refused = join_request("");
  refused.group_id = "refused";
  refused.protocol_type = "";
  CHECK((*join(refused))->error == ErrorCode::inconsistent_group_protocol);
  CHECK(c().find_group("refused") == nullptr);
}

TEST_CASE_METHOD(
    Fixture, "JoinGroup refuses bad session timeouts, empty group ids and inconsistent protocols") {
  JoinRequest request = join_request("");
  request.session_timeout_ms = 1;
  CHECK((*join(request))->error == ErrorCode::invalid_session_timeout);
  request = join_request("");
  request.group_id = "";
  CHECK((*join(request))->error == ErrorCode::invalid_group_id);
  stable_single_member();
  request = join_request("");
  request.protocols = {Protocol{"roundrobin", bytes("x")}};
  CHECK((*join(request))->error == ErrorCode::inconsistent_group_protocol);
  request = join_request("");
  request.protocol_type = "connect";
  CHECK((*join(request))->error == ErrorCode::inconsistent_group_protocol);
}

TEST_CASE_METHOD(Fixture,
                 "protocol selection takes the most preferred protocol every member supports") {
  JoinRequest request = join_request("");
  request.require_known_member_id = false;
  request.protocols = {Protocol{"cooperative-sticky", bytes("c")}, Protocol{"range", bytes("r")}};
  auto joined = join(request);
  CHECK((*joined)->protocol_name == "cooperative-sticky");
}

TEST_CASE_METHOD(
    Fixture,
    "a static member rejoining with a new member id fences the old id without a rebalance") {
  auto first = join(join_request("", "sub", "instance-1"));
  REQUIRE(first->has_value());
  const std::string old_id = (*first)->member_id;
  REQUIRE(sync(old_id, (*first)->generation_id, {{old_id, bytes("all")}})->has_value());
  std::string other;
  auto other_join = join_new(&other);
  auto rejoin = join(join_request(old_id, "sub", "instance-1"));
  REQUIRE(rejoin->has_value());
  auto other_sync = sync(other, (*rejoin)->generation_id);
  sync(old_id, (*rejoin)->generation_id, {{old_id, bytes("A")}, {other, bytes("B")}});
  REQUIRE(state() == GroupState::stable);
  const auto before = generation();

  auto restarted = join(join_request("", "sub", "instance-1"));  // same instance, process restarted
  REQUIRE(restarted->has_value());
  const JoinResult& result = **restarted;
  CHECK(result.error == ErrorCode::none);
  CHECK(result.member_id != old_id);
  CHECK(result.generation_id == before);
  CHECK(result.skip_assignment);  // it is the leader: it need not assign again (KIP-814)
  CHECK(state() == GroupState::stable);
  CHECK(heartbeat(old_id, before, "instance-1") == ErrorCode::fenced_instance_id);
  CHECK(heartbeat(result.member_id, before, "instance-1") == ErrorCode::none);
  CHECK(c().leave("g", {{old_id, "instance-1"}}, now).members ==
        std::vector<ErrorCode>{ErrorCode::fenced_instance_id});
  auto synced = sync(result.member_id, before);
  CHECK((*synced)->assignment == bytes("A"));
}

TEST_CASE_METHOD(Fixture, "a static member leaving by instance id alone is removed") {
  auto first = join(join_request("", "sub", "instance-1"));
  sync((*first)->member_id, (*first)->generation_id);
  LeaveResult left = c().leave("g", {{"", "instance-1"}}, now);
  CHECK(left.members == std::vector<ErrorCode>{ErrorCode::none});
  CHECK(state() == GroupState::empty);
}

TEST_CASE_METHOD(Fixture,
                 "admin views: list with a state filter, describe members and assignments, "
                 "describe an unknown group as Dead") {
  auto [a, b] = stable_two_members();
  CHECK(c().list_groups({}).size() == 1);
  CHECK(c().list_groups({GroupState::stable}).size() == 1);
  CHECK(c().list_groups({GroupState::empty}).empty());
  DescribedGroup described = c().describe_group("g");
  CHECK(described.state == GroupState::stable);
  CHECK(described.protocol_type == "consumer");
  CHECK(described.protocol_name == "range");
  REQUIRE(described.members.size() == 2);
  for (const auto& member : described.members)
    CHECK(member.assignment == (member.member_id == a ? bytes("A") : bytes("B")));
  CHECK(c().describe_group("unknown").state == GroupState::dead);
  CHECK(state_name(GroupState::completing_rebalance) == "CompletingRebalance");
}

TEST_CASE_METHOD(
    Fixture,
    "DeleteGroups: NON_EMPTY_GROUP while members remain, then the group and its offsets go") {
  std::string id = stable_single_member();
  CHECK(c().delete_group("g") == ErrorCode::non_empty_group);
  c().leave("g", {{id, std::nullopt}}, now);
  CHECK(c().delete_group("g") == ErrorCode::none);
  CHECK(c().find_group("g") == nullptr);
  CHECK(c().delete_group("g") == ErrorCode::group_id_not_found);
}

TEST_CASE_METHOD(Fixture, "at shutdown parked joins and syncs are answered NOT_COORDINATOR") {
  auto [a, b] = stable_two_members();
  auto a_join = join(join_request(a, "changed"));
  CHECK_FALSE(a_join->has_value());
  c().answer_parked();
  REQUIRE(a_join->has_value());
  CHECK((*a_join)->error == ErrorCode::not_coordinator);
}

TEST_CASE_METHOD(
    Fixture,
    "the next deadline is the earliest session expiry, and none while members wait for answers") {
  CHECK_FALSE(c().next_deadline().has_value());
  stable_single_member();
  REQUIRE(c().next_deadline().has_value());
  CHECK(*c().next_deadline() == now + std::chrono::milliseconds(session_ms));
}

}  // namespace weir::groups::test
