// JoinGroup (11), SyncGroup (14), Heartbeat (12), LeaveGroup (13): the classic group
// protocol. Each request runs on the coordinator thread; JoinGroup and SyncGroup may be
// parked there until the rebalance they wait for completes, and answer from then.
#include "protocol/generated/heartbeat_request.h"
#include "protocol/generated/heartbeat_response.h"
#include "protocol/generated/join_group_request.h"
#include "protocol/generated/join_group_response.h"
#include "protocol/generated/leave_group_request.h"
#include "protocol/generated/leave_group_response.h"
#include "protocol/generated/sync_group_request.h"
#include "protocol/generated/sync_group_response.h"
#include "server/handlers/coordinator_call.h"
#include "server/handlers/handlers.h"
#include "server/log.h"

namespace weir::handlers {
namespace {

using protocol::ErrorCode;

// v0-6 carry the protocol name as a non-nullable string; v7+ send null with errors.
std::optional<std::string> protocol_name_for(std::int16_t version,
                                             const std::optional<std::string>& name) {
  if (version < 7) return name.value_or("");
  return name;
}

groups::JoinRequest to_join_request(const RequestContext& context,
                                    protocol::JoinGroupRequest& request) {
  groups::JoinRequest join;
  join.group_id = std::move(request.group_id);
  join.member_id = std::move(request.member_id);
  join.group_instance_id = std::move(request.group_instance_id);
  join.client_id = context.header.client_id.value_or("");
  join.client_host = context.client_host;
  join.session_timeout_ms = request.session_timeout_ms;
  // v0 has no rebalance timeout: Kafka uses the session timeout.
  join.rebalance_timeout_ms =
      context.version() == 0 ? request.session_timeout_ms : request.rebalance_timeout_ms;
  join.protocol_type = std::move(request.protocol_type);
  for (auto& protocol : request.protocols)
    join.protocols.push_back(
        groups::Protocol{std::move(protocol.name), std::move(protocol.metadata)});
  join.require_known_member_id = context.version() >= 4;
  join.supports_skip_assignment = context.version() >= 9;
  return join;
}

protocol::JoinGroupResponse to_join_response(std::int16_t version,
                                             const groups::JoinResult& result) {
  protocol::JoinGroupResponse response;
  response.error_code = protocol::code(result.error);
  response.generation_id = result.generation_id;
  response.protocol_type = result.protocol_type;
  response.protocol_name = protocol_name_for(version, result.protocol_name);
  response.leader = result.leader;
  response.skip_assignment = result.skip_assignment;
  response.member_id = result.member_id;
  for (const auto& member : result.members)
    response.members.push_back({member.member_id, member.group_instance_id, member.metadata, {}});
  return response;
}

}  // namespace

void join_group(RequestContext& context, ReplyCallback done) {
  protocol::JoinGroupRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  context.services.groups.post([context, join = to_join_request(context, request),
                                done = std::move(done)](groups::Coordinator& coordinator,
                                                        groups::TimePoint now) {
    coordinator.join(
        join, now, [context, done, group_id = join.group_id](const groups::JoinResult& result) {
          log::debug("JoinGroup {} member {}: error {} generation {} leader {} members {}",
                     group_id, result.member_id, protocol::code(result.error), result.generation_id,
                     result.leader, result.members.size());
          reply_from_coordinator(
              context, done, encode_reply(context, to_join_response(context.version(), result)));
        });
  });
}

void sync_group(RequestContext& context, ReplyCallback done) {
  protocol::SyncGroupRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  groups::SyncRequest sync;
  sync.group_id = std::move(request.group_id);
  sync.generation_id = request.generation_id;
  sync.member_id = std::move(request.member_id);
  sync.group_instance_id = std::move(request.group_instance_id);
  sync.protocol_type = std::move(request.protocol_type);
  sync.protocol_name = std::move(request.protocol_name);
  for (auto& assignment : request.assignments)
    sync.assignments.emplace_back(std::move(assignment.member_id),
                                  std::move(assignment.assignment));
  context.services.groups.post([context, sync = std::move(sync), done = std::move(done)](
                                   groups::Coordinator& coordinator, groups::TimePoint now) {
    coordinator.sync(
        sync, now,
        [context, done, group_id = sync.group_id, member_id = sync.member_id,
         generation = sync.generation_id](const groups::SyncResult& result) {
          log::debug("SyncGroup {} member {} generation {}: error {} assignment {} bytes", group_id,
                     member_id, generation, protocol::code(result.error), result.assignment.size());
          protocol::SyncGroupResponse response;
          response.error_code = protocol::code(result.error);
          response.protocol_type = result.protocol_type;
          response.protocol_name = result.protocol_name;
          response.assignment = result.assignment;
          reply_from_coordinator(context, done, encode_reply(context, response));
        });
  });
}

void heartbeat(RequestContext& context, ReplyCallback done) {
  protocol::HeartbeatRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  groups::HeartbeatRequest beat{std::move(request.group_id), request.generation_id,
                                std::move(request.member_id), std::move(request.group_instance_id)};
  answer_on_coordinator(
      context, std::move(done),
      [beat = std::move(beat)](groups::Coordinator& coordinator, groups::TimePoint now) {
        protocol::HeartbeatResponse response;
        response.error_code = protocol::code(coordinator.heartbeat(beat, now));
        if (response.error_code != 0)
          log::debug("Heartbeat {} member {} generation {}: error {}", beat.group_id,
                     beat.member_id, beat.generation_id, response.error_code);
        return response;
      });
}

void leave_group(RequestContext& context, ReplyCallback done) {
  protocol::LeaveGroupRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  // v0-2 name one member; v3+ (KIP-345) batch members, static ones by instance id.
  std::vector<groups::LeavingMember> leaving;
  if (context.version() < 3) leaving.push_back({request.member_id, std::nullopt});
  for (const auto& member : request.members)
    leaving.push_back({member.member_id, member.group_instance_id});
  const bool batched = context.version() >= 3;
  answer_on_coordinator(context, std::move(done),
                        [group_id = std::move(request.group_id), leaving = std::move(leaving),
                         batched](groups::Coordinator& coordinator, groups::TimePoint now) {
                          groups::LeaveResult result = coordinator.leave(group_id, leaving, now);
                          for (std::size_t i = 0; i < result.members.size(); ++i)
                            log::debug("LeaveGroup {} member {}: error {}", group_id,
                                       leaving[i].member_id, protocol::code(result.members[i]));
                          protocol::LeaveGroupResponse response;
                          response.error_code = protocol::code(result.error);
                          if (!batched) {
                            if (result.error == ErrorCode::none && !result.members.empty())
                              response.error_code = protocol::code(result.members[0]);
                            return response;
                          }
                          for (std::size_t i = 0; i < result.members.size(); ++i)
                            response.members.push_back({leaving[i].member_id,
                                                        leaving[i].group_instance_id,
                                                        protocol::code(result.members[i]),
                                                        {}});
                          return response;
                        });
}

}  // namespace weir::handlers
