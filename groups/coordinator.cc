// Follows Apache Kafka's GroupCoordinator (classic protocol) transition by transition;
// the Kafka method each part mirrors is named where it helps to compare.
#include "groups/coordinator.h"

#include <algorithm>

#include "groups/membership_record.h"

namespace weir::groups {
namespace {

std::chrono::milliseconds ms(std::int32_t value) { return std::chrono::milliseconds(value); }

JoinResult join_error(ErrorCode error, std::string member_id = {}) {
  JoinResult result;
  result.error = error;
  result.member_id = std::move(member_id);
  return result;
}

SyncResult sync_error(ErrorCode error) {
  SyncResult result;
  result.error = error;
  return result;
}

bool keeps_session_alive(const Member& member) {
  return member.awaiting_join || member.awaiting_sync;
}

// A stored commit's wall-clock time, as a point on the coordinator's steady clock; a
// commit without a time (or from the future) counts as made now.
TimePoint commit_time_on_steady_clock(std::int64_t commit_timestamp_ms, TimePoint now,
                                      std::int64_t wall_now_ms) {
  if (commit_timestamp_ms < 0 || commit_timestamp_ms > wall_now_ms) return now;
  return now - std::chrono::milliseconds(wall_now_ms - commit_timestamp_ms);
}

}  // namespace

Coordinator::Coordinator(CoordinatorOptions options, storage::Store* store)
    : options_(options), store_(store), random_(std::random_device{}()) {}

bool Coordinator::load(TimePoint now, std::string* error) {
  if (store_ == nullptr) return true;
  const std::int64_t wall_now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count();
  std::vector<storage::StoredGroup> stored;
  if (store_->load_groups(&stored) != storage::StorageErrc::ok) {
    *error = "cannot read the consumer groups (offsets column family)";
    return false;
  }
  for (auto& record : stored) {
    Group& group = get_or_create(record.group_id);
    if (!record.membership.empty() && !decode_membership(record.membership, &group)) {
      *error = "the membership record of consumer group '" + record.group_id + "' does not decode";
      return false;
    }
    set_state(group, group.members.empty() ? GroupState::empty : GroupState::stable);
    // The membership record does not say when the group emptied: its retention starts
    // again now, so a restart can only lengthen it.
    group.empty_since = now;
    for (auto& [id, member] : group.members)
      member.session_deadline = now + ms(member.session_timeout_ms);
    for (auto& offset : record.offsets) {
      TopicPartitionKey key{offset.topic, offset.partition};
      group.offset_commit_times.emplace(
          key, commit_time_on_steady_clock(offset.commit_timestamp_ms, now, wall_now_ms));
      group.offsets.emplace(std::move(key), std::move(offset));
    }
  }
  next_retention_check_ = now + options_.offsets_retention_check_interval;
  return true;
}

const Group* Coordinator::find_group(const std::string& group_id) const {
  auto found = groups_.find(group_id);
  return found == groups_.end() ? nullptr : &found->second;
}

Group* Coordinator::find(const std::string& group_id) {
  auto found = groups_.find(group_id);
  return found == groups_.end() ? nullptr : &found->second;
}

Group& Coordinator::get_or_create(const std::string& group_id) {
  auto [it, inserted] = groups_.try_emplace(group_id);
  if (inserted) {
    it->second.group_id = group_id;
    stats_.group_added(it->second.state);
  }
  return it->second;
}

// Kafka's member ids: the client id, a dash and a random UUID.
std::string Coordinator::new_member_id(const std::string& client_id) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string id = client_id + "-";
  const std::uint64_t high = random_();
  const std::uint64_t low = random_();
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id.push_back('-');
    const std::uint64_t word = i < 16 ? high : low;
    id.push_back(hex[(word >> (4 * (15 - i % 16))) & 0xf]);
  }
  return id;
}

// --- JoinGroup (Kafka: handleJoinGroup) ---

void Coordinator::join(const JoinRequest& request, TimePoint now, JoinCallback done) {
  if (request.group_id.empty())
    return done(join_error(ErrorCode::invalid_group_id, request.member_id));
  if (request.session_timeout_ms < options_.min_session_timeout_ms ||
      request.session_timeout_ms > options_.max_session_timeout_ms)
    return done(join_error(ErrorCode::invalid_session_timeout, request.member_id));
  if (request.member_id.empty()) {
    join_new_member(get_or_create(request.group_id), request, now, std::move(done));
    return drop_if_unused(request.group_id);  // a refused first join leaves nothing behind
  }
  Group* group = find(request.group_id);
  if (group == nullptr) return done(join_error(ErrorCode::unknown_member_id, request.member_id));
  join_known_member(*group, request, now, std::move(done));
}

// Kafka: doNewMemberJoinGroup.
void Coordinator::join_new_member(Group& group, const JoinRequest& request, TimePoint now,
                                  JoinCallback done) {
  if (group.state == GroupState::dead)
    return done(join_error(ErrorCode::coordinator_not_available));
  if (!group.supports_protocols(request.protocol_type, request.protocols))
    return done(join_error(ErrorCode::inconsistent_group_protocol));
  std::string member_id = new_member_id(request.client_id);
  if (request.group_instance_id)
    return join_static_member(group, request, member_id, now, std::move(done));
  if (request.require_known_member_id) {
    // KIP-394: remember the id for one session timeout; the client joins again with it.
    group.pending_members[member_id] = now + ms(request.session_timeout_ms);
    return done(join_error(ErrorCode::member_id_required, member_id));
  }
  add_member_and_rebalance(group, request, member_id, now, std::move(done));
}

// Kafka: doStaticNewMemberJoinGroup. A known group.instance.id takes over the existing
// member under a new member id; the old id is fenced from then on.
void Coordinator::join_static_member(Group& group, const JoinRequest& request,
                                     const std::string& member_id, TimePoint now,
                                     JoinCallback done) {
  auto existing = group.static_members.find(*request.group_instance_id);
  if (existing == group.static_members.end())
    return add_member_and_rebalance(group, request, member_id, now, std::move(done));
  const std::string old_id = existing->second;
  auto old_entry = group.members.extract(old_id);
  Member member = std::move(old_entry.mapped());
  if (auto parked = std::exchange(member.awaiting_join, nullptr))
    parked(join_error(ErrorCode::fenced_instance_id, old_id));
  if (auto parked = std::exchange(member.awaiting_sync, nullptr))
    parked(sync_error(ErrorCode::fenced_instance_id));
  member.member_id = member_id;
  existing->second = member_id;
  if (group.is_leader(old_id)) group.leader = member_id;
  Member& replaced = group.members.emplace(member_id, std::move(member)).first->second;

  const bool leader = group.is_leader(member_id);
  const bool unchanged =
      replaced.same_protocols(request.protocols) && (!leader || request.supports_skip_assignment);
  if (group.state != GroupState::stable || !unchanged)
    return update_member_and_rebalance(group, replaced, request, now, std::move(done));
  replaced.client_id = request.client_id;
  replaced.client_host = request.client_host;
  replaced.session_timeout_ms = request.session_timeout_ms;
  replaced.rebalance_timeout_ms = request.rebalance_timeout_ms;
  replaced.session_deadline = now + ms(replaced.session_timeout_ms);
  persist_membership(group);
  JoinResult result = current_generation(group, replaced, leader);
  result.skip_assignment = leader;
  done(result);
}

// Kafka: doCurrentMemberJoinGroup.
void Coordinator::join_known_member(Group& group, const JoinRequest& request, TimePoint now,
                                    JoinCallback done) {
  const std::string& member_id = request.member_id;
  if (group.state == GroupState::dead)
    return done(join_error(ErrorCode::coordinator_not_available, member_id));
  if (!group.supports_protocols(request.protocol_type, request.protocols))
    return done(join_error(ErrorCode::inconsistent_group_protocol, member_id));
  if (group.pending_members.erase(member_id) > 0)
    return add_member_and_rebalance(group, request, member_id, now, std::move(done));
  if (group.is_fenced(request.group_instance_id, member_id))
    return done(join_error(ErrorCode::fenced_instance_id, member_id));
  auto found = group.members.find(member_id);
  if (found == group.members.end())
    return done(join_error(ErrorCode::unknown_member_id, member_id));
  Member& member = found->second;
  switch (group.state) {
    case GroupState::preparing_rebalance:
      return update_member_and_rebalance(group, member, request, now, std::move(done));
    case GroupState::completing_rebalance:
      // A member that lost our JoinGroup response asks again: same metadata, same answer.
      if (member.same_protocols(request.protocols))
        return done(current_generation(group, member, group.is_leader(member_id)));
      return update_member_and_rebalance(group, member, request, now, std::move(done));
    case GroupState::stable:
      // The leader rejoining, or anyone with a new subscription, means a new assignment.
      if (group.is_leader(member_id) || !member.same_protocols(request.protocols))
        return update_member_and_rebalance(group, member, request, now, std::move(done));
      return done(current_generation(group, member, false));
    case GroupState::empty:
    case GroupState::dead:
      return done(join_error(ErrorCode::unknown_member_id, member_id));
  }
}

void Coordinator::add_member_and_rebalance(Group& group, const JoinRequest& request,
                                           const std::string& member_id, TimePoint now,
                                           JoinCallback done) {
  Member member;
  member.member_id = member_id;
  member.group_instance_id = request.group_instance_id;
  if (group.members.empty()) group.protocol_type = request.protocol_type;
  if (request.group_instance_id) group.static_members[*request.group_instance_id] = member_id;
  if (!group.leader) group.leader = member_id;
  if (group.state == GroupState::preparing_rebalance && group.in_initial_delay)
    group.new_member_joined = true;
  Member& added = group.members.emplace(member_id, std::move(member)).first->second;
  update_member_and_rebalance(group, added, request, now, std::move(done));
}

void Coordinator::update_member(Member& member, const JoinRequest& request, JoinCallback done) {
  member.client_id = request.client_id;
  member.client_host = request.client_host;
  member.session_timeout_ms = request.session_timeout_ms;
  member.rebalance_timeout_ms = request.rebalance_timeout_ms;
  member.protocols = request.protocols;
  // A repeated JoinGroup replaces the one parked before; that one gets an answer too.
  if (auto parked = std::exchange(member.awaiting_join, std::move(done)))
    parked(join_error(ErrorCode::rebalance_in_progress, member.member_id));
}

void Coordinator::update_member_and_rebalance(Group& group, Member& member,
                                              const JoinRequest& request, TimePoint now,
                                              JoinCallback done) {
  update_member(member, request, std::move(done));
  if (group.state == GroupState::preparing_rebalance) return try_complete_join(group, now);
  prepare_rebalance(group, now);
}

JoinResult Coordinator::current_generation(const Group& group, const Member& member,
                                           bool with_members) const {
  JoinResult result;
  result.generation_id = group.generation_id;
  result.protocol_type = group.protocol_type;
  result.protocol_name = group.protocol_name;
  result.leader = group.leader.value_or("");
  result.member_id = member.member_id;
  if (!with_members) return result;
  for (const auto& [id, other] : group.members) {
    const Bytes* metadata =
        group.protocol_name ? other.metadata_for(*group.protocol_name) : nullptr;
    result.members.push_back(
        JoinMember{id, other.group_instance_id, metadata ? *metadata : Bytes{}});
  }
  return result;
}

// --- rebalance (Kafka: prepareRebalance, onCompleteJoin) ---

void Coordinator::prepare_rebalance(Group& group, TimePoint now) {
  if (group.state == GroupState::completing_rebalance)
    fail_pending_syncs(group, ErrorCode::rebalance_in_progress);
  const std::int32_t rebalance_timeout_ms = group.max_rebalance_timeout_ms();
  const bool initial = group.state == GroupState::empty && options_.initial_rebalance_delay_ms > 0;
  group.in_initial_delay = initial;
  group.new_member_joined = false;
  group.initial_delay_limit = now + ms(rebalance_timeout_ms);
  group.rebalance_deadline =
      now + ms(initial ? std::min(options_.initial_rebalance_delay_ms, rebalance_timeout_ms)
                       : rebalance_timeout_ms);
  set_state(group, GroupState::preparing_rebalance);
  try_complete_join(group, now);
}

void Coordinator::try_complete_join(Group& group, TimePoint now) {
  if (group.state != GroupState::preparing_rebalance || group.in_initial_delay) return;
  if (group.all_members_joined()) complete_join(group, now);
}

void Coordinator::complete_join(Group& group, TimePoint now) {
  group.in_initial_delay = false;
  // Dynamic members that did not rejoin within the rebalance timeout are out; static
  // members keep their place until their session expires.
  std::vector<std::string> stragglers;
  for (const auto& [id, member] : group.members)
    if (!member.awaiting_join && !member.group_instance_id) stragglers.push_back(id);
  for (const auto& id : stragglers) group.members.erase(id);
  if (group.leader && !group.members.contains(*group.leader)) group.leader.reset();

  ++group.generation_id;
  if (group.members.empty()) {
    set_state(group, GroupState::empty);
    group.empty_since = now;
    group.protocol_name.reset();
    group.leader.reset();
    persist_membership(group);
    return;
  }
  if (!group.leader) group.leader = group.members.begin()->first;
  group.protocol_name = group.select_protocol();
  set_state(group, GroupState::completing_rebalance);
  stats_.rebalance_completed();
  for (auto& [id, member] : group.members) {
    member.assignment.clear();
    auto parked = std::exchange(member.awaiting_join, nullptr);
    if (!parked) continue;
    member.session_deadline = now + ms(member.session_timeout_ms);
    parked(current_generation(group, member, group.is_leader(id)));
  }
}

void Coordinator::fail_pending_syncs(Group& group, ErrorCode error) {
  for (auto& [id, member] : group.members) {
    member.assignment.clear();
    if (auto parked = std::exchange(member.awaiting_sync, nullptr)) parked(sync_error(error));
  }
}

// Kafka: removeMemberAndUpdateGroup.
void Coordinator::remove_member_and_update_group(Group& group, const std::string& member_id,
                                                 TimePoint now) {
  auto found = group.members.find(member_id);
  if (found == group.members.end()) return;
  Member member = std::move(found->second);
  group.members.erase(found);
  if (member.group_instance_id) group.static_members.erase(*member.group_instance_id);
  if (group.is_leader(member_id))
    group.leader =
        group.members.empty() ? std::nullopt : std::optional(group.members.begin()->first);
  if (auto parked = std::exchange(member.awaiting_join, nullptr))
    parked(join_error(ErrorCode::unknown_member_id, member_id));
  if (auto parked = std::exchange(member.awaiting_sync, nullptr))
    parked(sync_error(ErrorCode::unknown_member_id));
  switch (group.state) {
    case GroupState::stable:
    case GroupState::completing_rebalance:
      return prepare_rebalance(group, now);
    case GroupState::preparing_rebalance:
      return try_complete_join(group, now);
    case GroupState::empty:
    case GroupState::dead:
      return;
  }
}

// --- SyncGroup (Kafka: handleSyncGroup) ---

void Coordinator::sync(const SyncRequest& request, TimePoint now, SyncCallback done) {
  Group* group = find(request.group_id);
  if (request.group_id.empty()) return done(sync_error(ErrorCode::invalid_group_id));
  if (group == nullptr) return done(sync_error(ErrorCode::unknown_member_id));
  if (group->state == GroupState::dead)
    return done(sync_error(ErrorCode::coordinator_not_available));
  if (group->is_fenced(request.group_instance_id, request.member_id))
    return done(sync_error(ErrorCode::fenced_instance_id));
  auto found = group->members.find(request.member_id);
  if (found == group->members.end()) return done(sync_error(ErrorCode::unknown_member_id));
  if (request.generation_id != group->generation_id)
    return done(sync_error(ErrorCode::illegal_generation));
  if ((request.protocol_type && request.protocol_type != group->protocol_type) ||
      (request.protocol_name && request.protocol_name != group->protocol_name))
    return done(sync_error(ErrorCode::inconsistent_group_protocol));
  Member& member = found->second;
  switch (group->state) {
    case GroupState::empty:
      return done(sync_error(ErrorCode::unknown_member_id));
    case GroupState::preparing_rebalance:
      return done(sync_error(ErrorCode::rebalance_in_progress));
    case GroupState::completing_rebalance:
      member.session_deadline = now + ms(member.session_timeout_ms);
      if (auto parked = std::exchange(member.awaiting_sync, std::move(done)))
        parked(sync_error(ErrorCode::rebalance_in_progress));
      if (group->is_leader(request.member_id)) complete_sync(*group, request);
      return;
    case GroupState::stable: {
      member.session_deadline = now + ms(member.session_timeout_ms);
      SyncResult result;
      result.protocol_type = group->protocol_type;
      result.protocol_name = group->protocol_name;
      result.assignment = member.assignment;
      return done(result);
    }
    case GroupState::dead:
      return done(sync_error(ErrorCode::coordinator_not_available));
  }
}

// The leader's assignment ends the rebalance: store it, then answer every parked sync.
// Members the leader left out get an empty assignment, as in Kafka.
void Coordinator::complete_sync(Group& group, const SyncRequest& request) {
  for (auto& [id, member] : group.members) member.assignment.clear();
  for (const auto& [id, assignment] : request.assignments) {
    auto found = group.members.find(id);
    if (found != group.members.end()) found->second.assignment = assignment;
  }
  if (!persist_membership(group)) {
    fail_pending_syncs(group, ErrorCode::coordinator_not_available);
    return;
  }
  set_state(group, GroupState::stable);
  for (auto& [id, member] : group.members) {
    auto parked = std::exchange(member.awaiting_sync, nullptr);
    if (!parked) continue;
    SyncResult result;
    result.protocol_type = group.protocol_type;
    result.protocol_name = group.protocol_name;
    result.assignment = member.assignment;
    parked(result);
  }
}

// --- Heartbeat and LeaveGroup ---

ErrorCode Coordinator::heartbeat(const HeartbeatRequest& request, TimePoint now) {
  Group* group = find(request.group_id);
  if (request.group_id.empty()) return ErrorCode::invalid_group_id;
  if (group == nullptr) return ErrorCode::unknown_member_id;
  if (group->state == GroupState::dead) return ErrorCode::coordinator_not_available;
  if (group->is_fenced(request.group_instance_id, request.member_id))
    return ErrorCode::fenced_instance_id;
  auto found = group->members.find(request.member_id);
  if (found == group->members.end()) return ErrorCode::unknown_member_id;
  if (request.generation_id != group->generation_id) return ErrorCode::illegal_generation;
  Member& member = found->second;
  switch (group->state) {
    case GroupState::empty:
      return ErrorCode::unknown_member_id;
    case GroupState::preparing_rebalance:
      member.session_deadline = now + ms(member.session_timeout_ms);
      return ErrorCode::rebalance_in_progress;
    case GroupState::completing_rebalance:
    case GroupState::stable:
      member.session_deadline = now + ms(member.session_timeout_ms);
      return ErrorCode::none;
    case GroupState::dead:
      return ErrorCode::coordinator_not_available;
  }
  return ErrorCode::none;
}

LeaveResult Coordinator::leave(const std::string& group_id,
                               const std::vector<LeavingMember>& leaving, TimePoint now) {
  LeaveResult result;
  Group* group = find(group_id);
  if (group_id.empty()) {
    result.error = ErrorCode::invalid_group_id;
    return result;
  }
  if (group != nullptr && group->state == GroupState::dead) {
    result.error = ErrorCode::coordinator_not_available;
    return result;
  }
  for (const auto& identity : leaving) {
    if (group == nullptr) {
      result.members.push_back(ErrorCode::unknown_member_id);
      continue;
    }
    std::string member_id = identity.member_id;
    if (member_id.empty() && identity.group_instance_id) {
      auto found = group->static_members.find(*identity.group_instance_id);
      if (found != group->static_members.end()) member_id = found->second;
    }
    if (group->is_fenced(identity.group_instance_id, member_id)) {
      result.members.push_back(ErrorCode::fenced_instance_id);
    } else if (group->pending_members.erase(member_id) > 0) {
      result.members.push_back(ErrorCode::none);
      try_complete_join(*group, now);
    } else if (!group->members.contains(member_id)) {
      result.members.push_back(ErrorCode::unknown_member_id);
    } else {
      result.members.push_back(ErrorCode::none);
      remove_member_and_update_group(*group, member_id, now);
    }
  }
  return result;
}

// --- offsets (Kafka: handleCommitOffsets, handleFetchOffsets, handleDeleteOffsets) ---

std::vector<ErrorCode> Coordinator::commit_offsets(const CommitRequest& request, TimePoint now) {
  auto all = [&](ErrorCode error) { return std::vector<ErrorCode>(request.offsets.size(), error); };
  if (request.group_id.empty()) return all(ErrorCode::invalid_group_id);
  Group* group = find(request.group_id);
  if (group == nullptr) {
    // Only a commit outside group management (generation -1) may create a group.
    if (request.generation_id >= 0) return all(ErrorCode::illegal_generation);
    group = &get_or_create(request.group_id);
    group->empty_since = now;
  }
  if (group->state == GroupState::dead) return all(ErrorCode::coordinator_not_available);
  if (group->is_fenced(request.group_instance_id, request.member_id))
    return all(ErrorCode::fenced_instance_id);
  auto member = group->members.find(request.member_id);
  if (!request.member_id.empty() && member == group->members.end())
    return all(ErrorCode::unknown_member_id);
  if (request.generation_id >= 0 && request.generation_id != group->generation_id)
    return all(ErrorCode::illegal_generation);
  if (group->state == GroupState::completing_rebalance)
    return all(ErrorCode::rebalance_in_progress);
  if (member != group->members.end())
    member->second.session_deadline = now + ms(member->second.session_timeout_ms);

  std::vector<ErrorCode> errors;
  std::vector<storage::CommittedOffset> accepted;
  for (const auto& offset : request.offsets) {
    const bool too_large = offset.metadata.size() > options_.max_offset_metadata_bytes;
    errors.push_back(too_large ? ErrorCode::offset_metadata_too_large : ErrorCode::none);
    if (!too_large) accepted.push_back(offset);
  }
  if (store_ != nullptr && !accepted.empty() &&
      store_->put_committed_offsets(request.group_id, accepted) != storage::StorageErrc::ok) {
    for (auto& error : errors)
      if (error == ErrorCode::none) error = ErrorCode::coordinator_not_available;
    return errors;
  }
  for (auto& offset : accepted) {
    TopicPartitionKey key{offset.topic, offset.partition};
    group->offset_commit_times.insert_or_assign(key, now);
    group->offsets.insert_or_assign(std::move(key), std::move(offset));
  }
  return errors;
}

std::vector<FetchedOffset> Coordinator::fetch_offsets(
    const std::string& group_id,
    const std::optional<std::vector<storage::TopicPartitionName>>& partitions) const {
  std::vector<FetchedOffset> fetched;
  const Group* group = find_group(group_id);
  auto to_fetched = [](const storage::CommittedOffset& offset) {
    return FetchedOffset{offset.topic, offset.partition, offset.offset, offset.leader_epoch,
                         offset.metadata};
  };
  if (!partitions) {
    if (group != nullptr)
      for (const auto& [key, offset] : group->offsets) fetched.push_back(to_fetched(offset));
    return fetched;
  }
  for (const auto& wanted : *partitions) {
    const storage::CommittedOffset* offset = nullptr;
    if (group != nullptr) {
      auto found = group->offsets.find(TopicPartitionKey{wanted.topic, wanted.partition});
      if (found != group->offsets.end()) offset = &found->second;
    }
    fetched.push_back(offset ? to_fetched(*offset)
                             : FetchedOffset{wanted.topic, wanted.partition, -1, -1, ""});
  }
  return fetched;
}

OffsetDeleteResult Coordinator::delete_offsets(
    const std::string& group_id, const std::vector<storage::TopicPartitionName>& partitions) {
  OffsetDeleteResult result;
  Group* group = find(group_id);
  if (group_id.empty()) {
    result.error = ErrorCode::invalid_group_id;
    return result;
  }
  if (group == nullptr || group->state == GroupState::dead) {
    result.error = ErrorCode::group_id_not_found;
    return result;
  }
  const bool consumer_group = group->protocol_type && *group->protocol_type == "consumer";
  if (!group->members.empty() && !consumer_group) {
    result.error = ErrorCode::non_empty_group;
    return result;
  }
  // Kafka refuses to delete the offsets of a topic the live group still consumes.
  const std::set<std::string> subscribed = group->subscribed_topics();
  std::vector<storage::TopicPartitionName> deleted;
  for (const auto& partition : partitions) {
    if (subscribed.contains(partition.topic)) {
      result.partitions.push_back(ErrorCode::group_subscribed_to_topic);
      continue;
    }
    result.partitions.push_back(ErrorCode::none);
    deleted.push_back(partition);
  }
  if (store_ != nullptr && !deleted.empty() &&
      store_->delete_committed_offsets(group_id, deleted) != storage::StorageErrc::ok) {
    result.error = ErrorCode::coordinator_not_available;
    result.partitions.assign(partitions.size(), ErrorCode::none);
    return result;
  }
  for (const auto& partition : deleted) {
    group->offsets.erase(TopicPartitionKey{partition.topic, partition.partition});
    group->offset_commit_times.erase(TopicPartitionKey{partition.topic, partition.partition});
  }
  return result;
}

// --- admin ---

std::vector<ListedGroup> Coordinator::list_groups(const std::vector<GroupState>& states) const {
  std::vector<ListedGroup> listed;
  for (const auto& [id, group] : groups_) {
    if (group.state == GroupState::dead) continue;
    if (!states.empty() && std::find(states.begin(), states.end(), group.state) == states.end())
      continue;
    listed.push_back(ListedGroup{id, group.protocol_type.value_or(""), group.state});
  }
  return listed;
}

DescribedGroup Coordinator::describe_group(const std::string& group_id) const {
  DescribedGroup described;
  described.group_id = group_id;
  if (group_id.empty()) {
    described.error = ErrorCode::invalid_group_id;
    return described;
  }
  const Group* group = find_group(group_id);
  if (group == nullptr) return described;
  described.state = group->state;
  described.protocol_type = group->protocol_type.value_or("");
  const bool stable = group->state == GroupState::stable;
  if (stable) described.protocol_name = group->protocol_name.value_or("");
  for (const auto& [id, member] : group->members) {
    DescribedMember out{id, member.group_instance_id, member.client_id, member.client_host, {}, {}};
    if (stable) {
      if (const Bytes* metadata = member.metadata_for(described.protocol_name))
        out.metadata = *metadata;
      out.assignment = member.assignment;
    }
    described.members.push_back(std::move(out));
  }
  return described;
}

ErrorCode Coordinator::delete_group(const std::string& group_id) {
  if (group_id.empty()) return ErrorCode::invalid_group_id;
  Group* group = find(group_id);
  if (group == nullptr || group->state == GroupState::dead) return ErrorCode::group_id_not_found;
  if (group->state != GroupState::empty) return ErrorCode::non_empty_group;
  if (store_ != nullptr && store_->delete_group(group_id) != storage::StorageErrc::ok)
    return ErrorCode::coordinator_not_available;
  erase_group(group_id);
  return ErrorCode::none;
}

void Coordinator::erase_group(const std::string& group_id) {
  auto found = groups_.find(group_id);
  if (found == groups_.end()) return;
  stats_.group_removed(found->second.state);
  groups_.erase(found);
}

void Coordinator::set_state(Group& group, GroupState state) {
  stats_.state_changed(group.state, state);
  group.state = state;
}

// Kafka's group expiration: an Empty group that holds no offsets and no pending member
// ids is forgotten, so JoinGroups naming ever new group ids cannot grow memory forever.
void Coordinator::drop_if_unused(const std::string& group_id) {
  Group* group = find(group_id);
  if (group == nullptr || group->state != GroupState::empty || !group->members.empty() ||
      !group->pending_members.empty() || !group->offsets.empty())
    return;
  if (store_ != nullptr && store_->delete_group(group_id) != storage::StorageErrc::ok) return;
  erase_group(group_id);
}

bool Coordinator::persist_membership(const Group& group) {
  if (store_ == nullptr) return true;
  return store_->put_group_membership(group.group_id, encode_membership(group)) ==
         storage::StorageErrc::ok;
}

// --- timers ---

void Coordinator::expire_members(Group& group, TimePoint now) {
  for (auto it = group.pending_members.begin(); it != group.pending_members.end();)
    it = it->second <= now ? group.pending_members.erase(it) : std::next(it);
  std::vector<std::string> expired;
  for (const auto& [id, member] : group.members)
    if (!keeps_session_alive(member) && member.session_deadline <= now) expired.push_back(id);
  for (const auto& id : expired) remove_member_and_update_group(group, id, now);
  if (group.state != GroupState::preparing_rebalance) return;
  if (group.rebalance_deadline > now) return try_complete_join(group, now);
  if (group.in_initial_delay && group.new_member_joined && now < group.initial_delay_limit) {
    // Kafka's InitialDelayedJoin: members are still arriving, wait one more delay.
    group.new_member_joined = false;
    group.rebalance_deadline =
        std::min(now + ms(options_.initial_rebalance_delay_ms), group.initial_delay_limit);
    return;
  }
  complete_join(group, now);
}

void Coordinator::advance_to(TimePoint now) {
  std::vector<std::string> emptied;
  for (auto& [id, group] : groups_) {
    expire_members(group, now);
    if (group.state == GroupState::empty) emptied.push_back(id);
  }
  for (const auto& id : emptied) drop_if_unused(id);
  if (!next_retention_check_) {
    next_retention_check_ = now + options_.offsets_retention_check_interval;
  } else if (*next_retention_check_ <= now) {
    expire_offsets(now);
    next_retention_check_ = now + options_.offsets_retention_check_interval;
  }
}

// --- offset retention (Kafka: GroupMetadata.removeExpiredOffsets, KIP-211) ---

void Coordinator::expire_offsets(Group& group, TimePoint now,
                                 std::vector<storage::TopicPartitionName>* expired) const {
  const auto retention = options_.offsets_retention;
  auto expire_where = [&](auto committed_long_enough_ago) {
    for (const auto& [key, committed_at] : group.offset_commit_times)
      if (committed_long_enough_ago(key, committed_at)) expired->push_back({key.first, key.second});
  };
  if (!group.protocol_type) {
    // Commits outside group management: each offset lives for the retention after its commit.
    expire_where([&](const TopicPartitionKey&, TimePoint committed_at) {
      return now - committed_at >= retention;
    });
  } else if (group.state == GroupState::empty) {
    // A group without members keeps everything until it has been Empty for the retention.
    if (now - group.empty_since >= retention)
      expire_where([](const TopicPartitionKey&, TimePoint) { return true; });
  } else if (group.state == GroupState::stable) {
    // A live consumer group keeps the offsets of the topics it subscribes to; those of
    // topics it dropped live for the retention after their last commit.
    const auto subscribed = group.known_subscribed_topics();
    if (!subscribed) return;
    expire_where([&](const TopicPartitionKey& key, TimePoint committed_at) {
      return !subscribed->contains(key.first) && now - committed_at >= retention;
    });
  }
}

std::size_t Coordinator::expire_offsets(TimePoint now) {
  std::size_t count = 0;
  std::vector<std::string> emptied;
  for (auto& [id, group] : groups_) {
    std::vector<storage::TopicPartitionName> expired;
    expire_offsets(group, now, &expired);
    if (!expired.empty()) remove_offsets(group, expired);
    count += expired.size();
    if (group.state == GroupState::empty) emptied.push_back(id);
  }
  for (const auto& id : emptied) drop_if_unused(id);
  return count;
}

void Coordinator::remove_offsets_of_topic(const std::string& topic) {
  std::vector<std::string> emptied;
  for (auto& [id, group] : groups_) {
    std::vector<storage::TopicPartitionName> removed;
    for (const auto& [key, offset] : group.offsets)
      if (key.first == topic) removed.push_back({key.first, key.second});
    if (!removed.empty()) remove_offsets(group, removed);
    if (group.state == GroupState::empty) emptied.push_back(id);
  }
  for (const auto& id : emptied) drop_if_unused(id);
}

// Deletes from storage first: offsets that cannot be deleted stay, and are tried again
// at the next check.
void Coordinator::remove_offsets(Group& group,
                                 const std::vector<storage::TopicPartitionName>& partitions) {
  if (store_ != nullptr &&
      store_->delete_committed_offsets(group.group_id, partitions) != storage::StorageErrc::ok)
    return;
  for (const auto& partition : partitions) {
    group.offsets.erase(TopicPartitionKey{partition.topic, partition.partition});
    group.offset_commit_times.erase(TopicPartitionKey{partition.topic, partition.partition});
  }
}

void Coordinator::answer_parked() {
  for (auto& [group_id, group] : groups_) {
    for (auto& [id, member] : group.members) {
      if (auto parked = std::exchange(member.awaiting_join, nullptr))
        parked(join_error(ErrorCode::not_coordinator, id));
      if (auto parked = std::exchange(member.awaiting_sync, nullptr))
        parked(sync_error(ErrorCode::not_coordinator));
    }
  }
}

std::optional<TimePoint> Coordinator::next_deadline() const {
  std::optional<TimePoint> earliest;
  auto consider = [&](TimePoint deadline) {
    if (!earliest || deadline < *earliest) earliest = deadline;
  };
  for (const auto& [id, group] : groups_) {
    for (const auto& [member_id, deadline] : group.pending_members) consider(deadline);
    for (const auto& [member_id, member] : group.members)
      if (!keeps_session_alive(member)) consider(member.session_deadline);
    if (group.state == GroupState::preparing_rebalance) consider(group.rebalance_deadline);
  }
  if (next_retention_check_) consider(*next_retention_check_);
  return earliest;
}

}  // namespace weir::groups
