// ListGroups (16), DescribeGroups (15), DeleteGroups (42): what admin clients see of the
// coordinator's groups. Every group here is a classic group.
#include "protocol/generated/delete_groups_request.h"
#include "protocol/generated/delete_groups_response.h"
#include "protocol/generated/describe_groups_request.h"
#include "protocol/generated/describe_groups_response.h"
#include "protocol/generated/list_groups_request.h"
#include "protocol/generated/list_groups_response.h"
#include "server/handlers/coordinator_call.h"
#include "server/handlers/handlers.h"

namespace weir::handlers {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// v5+ (KIP-848) filters by group type; all our groups are "classic".
bool wants_classic(const std::vector<std::string>& types_filter) {
  if (types_filter.empty()) return true;
  return std::any_of(types_filter.begin(), types_filter.end(),
                     [](const std::string& type) { return equal_ignoring_case(type, "classic"); });
}

}  // namespace

void list_groups(RequestContext& context, ReplyCallback done) {
  protocol::ListGroupsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  std::vector<groups::GroupState> states;
  for (const auto& name : request.states_filter)
    if (auto state = groups::parse_state(name)) states.push_back(*state);
  // A filter naming only states we do not know matches nothing, as in Kafka.
  const bool matches_nothing =
      (!request.states_filter.empty() && states.empty()) || !wants_classic(request.types_filter);
  answer_on_coordinator(context, std::move(done),
                        [states = std::move(states), matches_nothing](
                            groups::Coordinator& coordinator, groups::TimePoint) {
                          protocol::ListGroupsResponse response;
                          if (matches_nothing) return response;
                          for (const auto& group : coordinator.list_groups(states)) {
                            auto& listed = response.groups.emplace_back();
                            listed.group_id = group.group_id;
                            listed.protocol_type = group.protocol_type;
                            listed.group_state = std::string(groups::state_name(group.state));
                            listed.group_type = "classic";
                          }
                          return response;
                        });
}

void describe_groups(RequestContext& context, ReplyCallback done) {
  protocol::DescribeGroupsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  answer_on_coordinator(
      context, std::move(done),
      [names = std::move(request.groups)](groups::Coordinator& coordinator, groups::TimePoint) {
        protocol::DescribeGroupsResponse response;
        for (const auto& name : names) {
          groups::DescribedGroup described = coordinator.describe_group(name);
          auto& group = response.groups.emplace_back();
          group.error_code = protocol::code(described.error);
          group.group_id = described.group_id;
          group.group_state = std::string(groups::state_name(described.state));
          group.protocol_type = described.protocol_type;
          group.protocol_data = described.protocol_name;
          for (auto& member : described.members) {
            auto& out = group.members.emplace_back();
            out.member_id = std::move(member.member_id);
            out.group_instance_id = std::move(member.group_instance_id);
            out.client_id = std::move(member.client_id);
            out.client_host = std::move(member.client_host);
            out.member_metadata = std::move(member.metadata);
            out.member_assignment = std::move(member.assignment);
          }
        }
        return response;
      });
}

void delete_groups(RequestContext& context, ReplyCallback done) {
  protocol::DeleteGroupsRequest request;
  if (!decode_request(context, &request)) return done(Reply::close_connection());
  answer_on_coordinator(
      context, std::move(done),
      [names = std::move(request.groups_names)](groups::Coordinator& coordinator,
                                                groups::TimePoint) {
        protocol::DeleteGroupsResponse response;
        for (const auto& name : names)
          response.results.push_back({name, protocol::code(coordinator.delete_group(name)), {}});
        return response;
      });
}

}  // namespace weir::handlers
