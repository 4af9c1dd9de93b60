// One classic consumer group as the coordinator keeps it: Kafka's state, generation,
// selected protocol, members (with their parked JoinGroup/SyncGroup replies and session
// deadlines) and committed offsets. Plain data plus a few queries; the transitions live in
// coordinator.cc. Not thread-safe: owned by the coordinator.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/framing/error_code.h"
#include "protocol/wire/types.h"
#include "storage/group_records.h"

namespace weir::groups {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using protocol::Bytes;
using protocol::ErrorCode;

// Kafka's ClassicGroupState, with Kafka's names on the wire (state_name).
enum class GroupState { empty, preparing_rebalance, completing_rebalance, stable, dead };
std::string_view state_name(GroupState state);
std::optional<GroupState> parse_state(std::string_view name);  // case-insensitive

struct Protocol {
  std::string name;
  Bytes metadata;
};

struct JoinMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  Bytes metadata;
};

// What a JoinGroup is answered with. The leader alone gets `members`.
struct JoinResult {
  ErrorCode error = ErrorCode::none;
  std::int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  bool skip_assignment = false;
  std::vector<JoinMember> members;
};

struct SyncResult {
  ErrorCode error = ErrorCode::none;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  Bytes assignment;
};

using JoinCallback = std::function<void(const JoinResult&)>;
using SyncCallback = std::function<void(const SyncResult&)>;

struct Member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::int32_t rebalance_timeout_ms = 0;
  std::int32_t session_timeout_ms = 0;
  std::vector<Protocol> protocols;  // in the member's order of preference
  Bytes assignment;
  JoinCallback awaiting_join;  // set while its JoinGroup is parked
  SyncCallback awaiting_sync;  // set while its SyncGroup is parked
  TimePoint session_deadline{};

  const Bytes* metadata_for(std::string_view protocol_name) const;
  bool same_protocols(const std::vector<Protocol>& other) const;
};

using TopicPartitionKey = std::pair<std::string, std::int32_t>;

struct Group {
  std::string group_id;
  GroupState state = GroupState::empty;
  std::int32_t generation_id = 0;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::optional<std::string> leader;
  std::map<std::string, Member> members;              // by member id
  std::map<std::string, std::string> static_members;  // group.instance.id -> member id
  std::map<std::string, TimePoint> pending_members;   // KIP-394: id given, join not yet repeated
  std::map<TopicPartitionKey, storage::CommittedOffset> offsets;
  // When each offset was committed, on the coordinator's clock (for offsets loaded at
  // start, their stored wall-clock commit time moved onto that clock).
  std::map<TopicPartitionKey, TimePoint> offset_commit_times;
  // When the group last became Empty (or was loaded Empty): an Empty group's offsets
  // expire offsets_retention after this.
  TimePoint empty_since{};

  // While PreparingRebalance: when the join phase ends at the latest. During the initial
  // delay of a group that was Empty, the phase never ends early, and it is extended while
  // new members keep arriving, up to initial_delay_limit.
  TimePoint rebalance_deadline{};
  bool in_initial_delay = false;
  bool new_member_joined = false;
  TimePoint initial_delay_limit{};

  bool is_leader(std::string_view member_id) const { return leader && *leader == member_id; }
  bool all_members_joined() const;
  std::int32_t max_rebalance_timeout_ms() const;
  // Kafka's supportsProtocols: an Empty group takes any non-empty offer; otherwise the
  // type must match and one protocol must be supported by every member and the joiner.
  bool supports_protocols(std::string_view type, const std::vector<Protocol>& offered) const;
  // Kafka's selectProtocol: among protocols every member supports, each member votes for
  // its most preferred one; the most votes win (ties go to the first candidate).
  std::string select_protocol() const;
  // A static member that presents a member id other than its instance's current one.
  bool is_fenced(const std::optional<std::string>& group_instance_id,
                 std::string_view member_id) const;
  // Topics the members subscribe to, read from ConsumerProtocolSubscription metadata of
  // the selected protocol ("consumer" groups only; empty otherwise).
  std::set<std::string> subscribed_topics() const;
  // Kafka's subscribedTopics: as above, but nothing unless this is a consumer group whose
  // every member's subscription decodes (offsets are only expired by topic when it is).
  std::optional<std::set<std::string>> known_subscribed_topics() const;
};

}  // namespace weir::groups
