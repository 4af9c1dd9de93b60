// A coordinator driven by a clock the test moves by hand, and functions that capture the
// JoinGroup/SyncGroup answers (which may come later, from another call).
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>
#include <random>

#include "groups/coordinator.h"

namespace weir::groups::test {

inline constexpr std::int32_t session_ms = 10000;
inline constexpr std::int32_t rebalance_ms = 30000;

inline Bytes bytes(std::string_view text) {
  Bytes out;
  for (char c : text) out.push_back(static_cast<std::byte>(c));
  return out;
}

// ConsumerProtocolSubscription v0 naming one topic.
inline Bytes subscription_to(std::string_view topic) {
  Bytes out = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0},
               std::byte{0}, std::byte{1}, std::byte{0}, static_cast<std::byte>(topic.size())};
  for (char c : topic) out.push_back(static_cast<std::byte>(c));
  for (int i = 0; i < 4; ++i) out.push_back(std::byte{0xff});  // null user data
  return out;
}

// A fresh directory, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ =
        std::filesystem::temp_directory_path() / ("weir-groups-test-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string db() const { return (path_ / "db").string(); }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<storage::Store> open_store(const TempDir& dir) {
  std::string error;
  auto store = storage::Store::open(storage::StoreOptions{.path = dir.db()}, &error);
  REQUIRE(store != nullptr);
  return store;
}

struct Fixture {
  CoordinatorOptions options = [] {
    CoordinatorOptions o;
    o.initial_rebalance_delay_ms = 0;
    return o;
  }();
  storage::Store* store = nullptr;
  std::optional<Coordinator> coordinator;
  TimePoint now = TimePoint{} + std::chrono::hours(1);

  Fixture() { coordinator.emplace(options, nullptr); }
  Coordinator& c() { return *coordinator; }

  void advance(std::int32_t ms) {
    now += std::chrono::milliseconds(ms);
    c().advance_to(now);
  }

  JoinRequest join_request(const std::string& member_id, std::string metadata = "sub",
                           std::optional<std::string> instance = std::nullopt) {
    JoinRequest request;
    request.group_id = "g";
    request.member_id = member_id;
    request.group_instance_id = std::move(instance);
    request.client_id = "client";
    request.session_timeout_ms = session_ms;
    request.rebalance_timeout_ms = rebalance_ms;
    request.protocol_type = "consumer";
    request.protocols = {Protocol{"range", bytes(metadata)}};
    request.require_known_member_id = true;
    request.supports_skip_assignment = true;
    return request;
  }

  // The answer, shared so a parked reply that arrives later is seen by the test.
  std::shared_ptr<std::optional<JoinResult>> join(const JoinRequest& request) {
    auto answer = std::make_shared<std::optional<JoinResult>>();
    c().join(request, now, [answer](const JoinResult& result) { *answer = result; });
    return answer;
  }

  // A dynamic member through KIP-394's two joins; returns the parked (or answered) second join.
  std::shared_ptr<std::optional<JoinResult>> join_new(std::string* member_id,
                                                      std::string metadata = "sub") {
    auto first = join(join_request("", metadata));
    REQUIRE(first->has_value());
    REQUIRE((*first)->error == ErrorCode::member_id_required);
    *member_id = (*first)->member_id;
    return join(join_request(*member_id, metadata));
  }

  std::shared_ptr<std::optional<SyncResult>> sync(
      const std::string& member_id, std::int32_t generation,
      std::vector<std::pair<std::string, Bytes>> assignments = {}) {
    SyncRequest request;
    request.group_id = "g";
    request.member_id = member_id;
    request.generation_id = generation;
    request.assignments = std::move(assignments);
    auto answer = std::make_shared<std::optional<SyncResult>>();
    c().sync(request, now, [answer](const SyncResult& result) { *answer = result; });
    return answer;
  }

  ErrorCode heartbeat(const std::string& member_id, std::int32_t generation,
                      std::optional<std::string> instance = std::nullopt) {
    return c().heartbeat(HeartbeatRequest{"g", generation, member_id, std::move(instance)}, now);
  }

  GroupState state() {
    const Group* group = c().find_group("g");
    REQUIRE(group != nullptr);
    return group->state;
  }
  std::int32_t generation() { return c().find_group("g")->generation_id; }

  // One member in a Stable group: returns its id.
  std::string stable_single_member() {
    std::string id;
    auto joined = join_new(&id);
    REQUIRE(joined->has_value());
    auto synced = sync(id, (*joined)->generation_id, {{id, bytes("all")}});
    REQUIRE(synced->has_value());
    REQUIRE(state() == GroupState::stable);
    return id;
  }

  // Two members in a Stable group.
  std::pair<std::string, std::string> stable_two_members() {
    std::string a = stable_single_member();
    std::string b;
    auto b_join = join_new(&b);
    REQUIRE(state() == GroupState::preparing_rebalance);
    auto a_join = join(join_request(a));
    REQUIRE(a_join->has_value());
    REQUIRE(b_join->has_value());
    const auto generation = (*a_join)->generation_id;
    auto b_sync = sync(b, generation);
    auto a_sync = sync(a, generation, {{a, bytes("A")}, {b, bytes("B")}});
    REQUIRE(a_sync->has_value());
    REQUIRE(b_sync->has_value());
    REQUIRE(state() == GroupState::stable);
    return {a, b};
  }
};

}  // namespace weir::groups::test
