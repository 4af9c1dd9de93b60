// Transitions out of CompletingRebalance that the other state machine tests do not reach:
// a leave, a session expiry and a join with new metadata while the leader's assignment is
// awaited, and the stale-generation answers in that state.
#include <catch2/catch.hpp>

#include "tests/unit/groups/coordinator_fixture.h"

namespace weir::groups::test {
namespace {

// Two members in CompletingRebalance after the leader `a` rejoined with new metadata;
// the follower `b` has its SyncGroup parked, waiting for the leader's assignment.
struct CompletingFixture : Fixture {
  std::string a, b;
  std::int32_t completing_generation = 0;
  std::shared_ptr<std::optional<SyncResult>> b_sync;

  CompletingFixture() {
    std::tie(a, b) = stable_two_members();
    auto a_join = join(join_request(a, "changed"));  // the leader's new metadata: rebalance
    auto b_join = join(join_request(b));
    REQUIRE(a_join->has_value());
    REQUIRE(b_join->has_value());
    REQUIRE(state() == GroupState::completing_rebalance);
    completing_generation = (*b_join)->generation_id;
    b_sync = sync(b, completing_generation);
    REQUIRE_FALSE(b_sync->has_value());
  }
};

}  // namespace

TEST_CASE_METHOD(
    CompletingFixture,
    "a leave during CompletingRebalance starts a new rebalance and fails the parked syncs") {
  CHECK(c().leave("g", {{a, std::nullopt}}, now).members ==
        std::vector<ErrorCode>{ErrorCode::none});
  REQUIRE(b_sync->has_value());
  CHECK((*b_sync)->error == ErrorCode::rebalance_in_progress);
  CHECK(state() == GroupState::preparing_rebalance);
  auto b_join = join(join_request(b));
  REQUIRE(b_join->has_value());
  CHECK((*b_join)->generation_id == completing_generation + 1);
  CHECK((*b_join)->leader == b);
}

TEST_CASE_METHOD(
    CompletingFixture,
    "a leader that never syncs expires during CompletingRebalance and the group rebalances") {
  // b's parked SyncGroup keeps its session alive; a, the leader, never sends its SyncGroup.
  advance(session_ms);
  CHECK_FALSE(c().find_group("g")->members.contains(a));
  REQUIRE(b_sync->has_value());
  CHECK((*b_sync)->error == ErrorCode::rebalance_in_progress);
  CHECK(state() == GroupState::preparing_rebalance);
}

TEST_CASE_METHOD(CompletingFixture,
                 "a join with new metadata during CompletingRebalance starts a new rebalance") {
  auto b_rejoin = join(join_request(b, "other-subscription"));
  CHECK(state() == GroupState::preparing_rebalance);
  REQUIRE(b_sync->has_value());
  CHECK((*b_sync)->error == ErrorCode::rebalance_in_progress);
  CHECK_FALSE(b_rejoin->has_value());  // parked until the leader rejoins
  auto a_join = join(join_request(a, "changed"));
  REQUIRE(a_join->has_value());
  REQUIRE(b_rejoin->has_value());
  CHECK((*b_rejoin)->generation_id == completing_generation + 1);
}

TEST_CASE_METHOD(CompletingFixture,
                 "during CompletingRebalance a stale generation gets ILLEGAL_GENERATION from sync "
                 "and heartbeat") {
  auto stale = sync(a, completing_generation - 1);
  REQUIRE(stale->has_value());
  CHECK((*stale)->error == ErrorCode::illegal_generation);
  CHECK(heartbeat(a, completing_generation - 1) == ErrorCode::illegal_generation);
  CHECK(heartbeat("stranger", completing_generation) == ErrorCode::unknown_member_id);
  CHECK_FALSE(b_sync->has_value());  // the rebalance goes on
  auto a_sync = sync(a, completing_generation, {{a, bytes("A")}, {b, bytes("B")}});
  REQUIRE(b_sync->has_value());
  CHECK((*b_sync)->assignment == bytes("B"));
  CHECK(state() == GroupState::stable);
}

}  // namespace weir::groups::test
