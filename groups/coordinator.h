// The classic consumer group coordinator (Kafka's GroupCoordinator for one broker that
// coordinates every group): JoinGroup/SyncGroup/Heartbeat/LeaveGroup with Kafka's state
// machine, KIP-394 member ids, KIP-345 static membership, committed offsets and the admin
// operations.
//
// Not thread-safe and never blocking on the network: the caller serialises every call
// (the server runs it on one thread) and passes the current steady time. JoinGroup and
// SyncGroup may answer later, from inside another call or advance_to(), through their
// callback; every other call answers on return. Timers are deadlines kept in the groups:
// the caller calls advance_to(now) when next_deadline() has passed.
//
// Persistence: committed offsets are written on every commit, and the membership record
// (generation, protocol, members, assignments) whenever a generation's assignment is
// complete or the group empties, through storage::Store (RocksDB writes without fsync).
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "groups/group.h"
#include "groups/group_stats.h"
#include "storage/store.h"

namespace weir::groups {

struct CoordinatorOptions {
  // Kafka's group.min.session.timeout.ms / group.max.session.timeout.ms: a JoinGroup
  // outside the range gets INVALID_SESSION_TIMEOUT.
  std::int32_t min_session_timeout_ms = 6000;
  std::int32_t max_session_timeout_ms = 1800000;
  // Kafka's group.initial.rebalance.delay.ms: how long the first rebalance of an empty
  // group waits for more members (extended while they keep coming, up to the rebalance
  // timeout), so a group that starts together gets one rebalance rather than one per member.
  std::int32_t initial_rebalance_delay_ms = 3000;
  // Kafka's offset.metadata.max.bytes: a longer commit metadata string is refused with
  // OFFSET_METADATA_TOO_LARGE.
  std::size_t max_offset_metadata_bytes = 4096;
  // Kafka's offsets.retention.minutes (KIP-211): the committed offsets of an Empty group
  // expire this long after it became Empty; those of a group without a protocol type
  // (commits outside group management), and those of topics a Stable consumer group no
  // longer subscribes to, this long after their commit.
  std::chrono::milliseconds offsets_retention = std::chrono::minutes(10080);
  // Kafka's offsets.retention.check.interval.ms: how often expired offsets are looked for.
  std::chrono::milliseconds offsets_retention_check_interval{600000};
};

struct JoinRequest {
  std::string group_id;
  std::string member_id;  // empty on a first join
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::int32_t session_timeout_ms = 0;
  std::int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<Protocol> protocols;
  // JoinGroup v4+ (KIP-394): a first join of a dynamic member only gets an id, with
  // MEMBER_ID_REQUIRED, and must join again with it.
  bool require_known_member_id = false;
  // JoinGroup v9+ (KIP-814): a rejoining static leader may be told to skip assignment.
  bool supports_skip_assignment = false;
};

struct SyncRequest {
  std::string group_id;
  std::int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<std::pair<std::string, Bytes>> assignments;  // from the leader only
};

struct HeartbeatRequest {
  std::string group_id;
  std::int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct LeavingMember {
  std::string member_id;  // may be empty for a static member named by instance id
  std::optional<std::string> group_instance_id;
};

struct LeaveResult {
  ErrorCode error = ErrorCode::none;  // the whole request
  std::vector<ErrorCode> members;     // one per LeavingMember, in order
};

struct CommitRequest {
  std::string group_id;
  std::int32_t generation_id = -1;  // -1: a commit outside group management
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<storage::CommittedOffset> offsets;
};

struct FetchedOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = -1;  // -1: nothing committed
  std::int32_t leader_epoch = -1;
  std::string metadata;
};

struct OffsetDeleteResult {
  ErrorCode error = ErrorCode::none;  // the whole group
  std::vector<ErrorCode> partitions;  // one per requested partition, in order
};

struct ListedGroup {
  std::string group_id;
  std::string protocol_type;
  GroupState state = GroupState::empty;
};

struct DescribedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  Bytes metadata;    // only while Stable, as Kafka does
  Bytes assignment;  // only while Stable
};

struct DescribedGroup {
  ErrorCode error = ErrorCode::none;
  std::string group_id;
  GroupState state = GroupState::dead;  // an unknown group is described as Dead
  std::string protocol_type;
  std::string protocol_name;  // only while Stable
  std::vector<DescribedMember> members;
};

class Coordinator {
 public:
  // `store` may be null: nothing is persisted (unit tests of the state machine).
  Coordinator(CoordinatorOptions options, storage::Store* store);

  // Loads every stored group: a group with members comes back Stable in its generation,
  // each member with a fresh session deadline from `now`. False (with *error) if storage
  // fails or a record does not decode.
  bool load(TimePoint now, std::string* error);

  void join(const JoinRequest& request, TimePoint now, JoinCallback done);
  void sync(const SyncRequest& request, TimePoint now, SyncCallback done);
  ErrorCode heartbeat(const HeartbeatRequest& request, TimePoint now);
  LeaveResult leave(const std::string& group_id, const std::vector<LeavingMember>& members,
                    TimePoint now);

  // One error per offset, in order.
  std::vector<ErrorCode> commit_offsets(const CommitRequest& request, TimePoint now);
  // `partitions` absent: every committed offset of the group. Unknown groups and
  // partitions without a commit answer offset -1.
  std::vector<FetchedOffset> fetch_offsets(
      const std::string& group_id,
      const std::optional<std::vector<storage::TopicPartitionName>>& partitions) const;
  OffsetDeleteResult delete_offsets(const std::string& group_id,
                                    const std::vector<storage::TopicPartitionName>& partitions);

  // `states` empty: every group.
  std::vector<ListedGroup> list_groups(const std::vector<GroupState>& states) const;
  DescribedGroup describe_group(const std::string& group_id) const;
  ErrorCode delete_group(const std::string& group_id);

  // Fires every deadline at or before `now`: session timeouts, pending-member timeouts,
  // the end of join phases and, every offsets_retention_check_interval, expire_offsets().
  void advance_to(TimePoint now);
  // Kafka's cleanupGroupMetadata: removes the offsets past their retention (see
  // CoordinatorOptions::offsets_retention), then forgets Empty groups left without
  // offsets (they become Dead). Returns how many offsets expired.
  std::size_t expire_offsets(TimePoint now);
  // Kafka's handleDeletedPartitions: a deleted topic's committed offsets go from every
  // group; Empty groups left without offsets are forgotten.
  void remove_offsets_of_topic(const std::string& topic);
  // The earliest pending deadline, if any.
  std::optional<TimePoint> next_deadline() const;

  // Answers every parked JoinGroup and SyncGroup with NOT_COORDINATOR, as Kafka does when
  // a coordinator unloads its groups: at shutdown, clients find the coordinator again.
  void answer_parked();

  // Read-only view for tests and diagnostics; null if the group does not exist.
  const Group* find_group(const std::string& group_id) const;
  // Groups by state and rebalances; the one member any thread may read.
  const GroupStats& stats() const { return stats_; }

 private:
  Group* find(const std::string& group_id);
  Group& get_or_create(const std::string& group_id);
  std::string new_member_id(const std::string& client_id);

  void join_new_member(Group& group, const JoinRequest& request, TimePoint now, JoinCallback done);
  void join_static_member(Group& group, const JoinRequest& request, const std::string& member_id,
                          TimePoint now, JoinCallback done);
  void join_known_member(Group& group, const JoinRequest& request, TimePoint now,
                         JoinCallback done);
  void add_member_and_rebalance(Group& group, const JoinRequest& request,
                                const std::string& member_id, TimePoint now, JoinCallback done);
  void update_member_and_rebalance(Group& group, Member& member, const JoinRequest& request,
                                   TimePoint now, JoinCallback done);
  void update_member(Member& member, const JoinRequest& request, JoinCallback done);
  JoinResult current_generation(const Group& group, const Member& member, bool with_members) const;

  void prepare_rebalance(Group& group, TimePoint now);
  void try_complete_join(Group& group, TimePoint now);
  void complete_join(Group& group, TimePoint now);
  void complete_sync(Group& group, const SyncRequest& request);
  void fail_pending_syncs(Group& group, ErrorCode error);
  void remove_member_and_update_group(Group& group, const std::string& member_id, TimePoint now);
  void expire_members(Group& group, TimePoint now);

  void expire_offsets(Group& group, TimePoint now,
                      std::vector<storage::TopicPartitionName>* expired) const;
  void remove_offsets(Group& group, const std::vector<storage::TopicPartitionName>& partitions);
  bool persist_membership(const Group& group);
  void erase_group(const std::string& group_id);
  // Every state change goes through here, so stats_ follows the groups.
  void set_state(Group& group, GroupState state);
  void drop_if_unused(const std::string& group_id);

  CoordinatorOptions options_;
  storage::Store* store_;
  std::map<std::string, Group> groups_;
  GroupStats stats_;
  std::optional<TimePoint> next_retention_check_;
  std::mt19937_64 random_;
};

}  // namespace weir::groups
