#include "coordinator_fixture.h"

namespace weir::groups::test {
namespace {

// The states a group can be listed in; Dead groups are never kept.
constexpr GroupState live_states[] = {GroupState::empty, GroupState::preparing_rebalance,
                                      GroupState::completing_rebalance, GroupState::stable};

std::int64_t total_groups(const GroupStats& stats) {
  std::int64_t total = 0;
  for (GroupState state : live_states) total += stats.groups_in(state);
  return total;
}

TEST_CASE_METHOD(Fixture,
                 "group stats follow a group through its states and count each rebalance") {
  const GroupStats& stats = c().stats();
  CHECK(total_groups(stats) == 0);
  auto [a, b] = stable_two_members();
  CHECK(stats.groups_in(GroupState::stable) == 1);
  CHECK(total_groups(stats) == 1);
  // One generation for the first member, one more when the second joined.
  CHECK(stats.rebalances() == 2);

  c().leave("g", {{b, std::nullopt}}, now);
  CHECK(stats.groups_in(GroupState::preparing_rebalance) == 1);
  CHECK(stats.groups_in(GroupState::stable) == 0);
  c().leave("g", {{a, std::nullopt}}, now);
  CHECK(stats.groups_in(GroupState::empty) == 1);
  CHECK(total_groups(stats) == 1);
  // The generation that ended with nobody left hands nothing to anyone.
  CHECK(stats.rebalances() == 2);

  REQUIRE(c().delete_group("g") == ErrorCode::none);
  CHECK(total_groups(stats) == 0);
}

TEST_CASE_METHOD(Fixture, "group stats agree with ListGroups as groups come and go") {
  const GroupStats& stats = c().stats();
  std::string id;
  auto joined = join_new(&id);
  REQUIRE(joined->has_value());
  CHECK(stats.groups_in(GroupState::completing_rebalance) == 1);
  for (GroupState state : live_states)
    CHECK(stats.groups_in(state) == static_cast<std::int64_t>(c().list_groups({state}).size()));
  advance(session_ms + 1);  // the member never syncs: its session expires
  for (GroupState state : live_states)
    CHECK(stats.groups_in(state) == static_cast<std::int64_t>(c().list_groups({state}).size()));
  CHECK(total_groups(stats) == static_cast<std::int64_t>(c().list_groups({}).size()));
}

}  // namespace
}  // namespace weir::groups::test
