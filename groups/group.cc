#include "groups/group.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "protocol/wire/reader.h"

namespace weir::groups {
namespace {

constexpr std::array<std::pair<GroupState, std::string_view>, 5> state_names = {{
    {GroupState::empty, "Empty"},
    {GroupState::preparing_rebalance, "PreparingRebalance"},
    {GroupState::completing_rebalance, "CompletingRebalance"},
    {GroupState::stable, "Stable"},
    {GroupState::dead, "Dead"},
}};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// ConsumerProtocolSubscription (every version starts the same way): int16 version, then
// an array of topic names. Anything we cannot read contributes no topics, and false.
bool add_subscribed_topics(const Bytes& metadata, std::set<std::string>& topics) {
  protocol::Reader reader(metadata);
  reader.read_int16();
  const std::int32_t count = reader.read_array_length(false);
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    std::string topic = reader.read_string();
    if (reader.ok()) topics.insert(std::move(topic));
  }
  return reader.ok();
}

}  // namespace

std::string_view state_name(GroupState state) {
  for (const auto& [value, name] : state_names)
    if (value == state) return name;
  return "Unknown";
}

std::optional<GroupState> parse_state(std::string_view name) {
  for (const auto& [value, known] : state_names)
    if (equal_ignoring_case(known, name)) return value;
  return std::nullopt;
}

const Bytes* Member::metadata_for(std::string_view protocol_name) const {
  for (const auto& protocol : protocols)
    if (protocol.name == protocol_name) return &protocol.metadata;
  return nullptr;
}

bool Member::same_protocols(const std::vector<Protocol>& other) const {
  if (protocols.size() != other.size()) return false;
  for (std::size_t i = 0; i < other.size(); ++i)
    if (protocols[i].name != other[i].name || protocols[i].metadata != other[i].metadata)
      return false;
  return true;
}

bool Group::all_members_joined() const {
  if (!pending_members.empty()) return false;
  return std::all_of(members.begin(), members.end(),
                     [](const auto& entry) { return bool(entry.second.awaiting_join); });
}

std::int32_t Group::max_rebalance_timeout_ms() const {
  std::int32_t longest = 0;
  for (const auto& [id, member] : members) longest = std::max(longest, member.rebalance_timeout_ms);
  return longest;
}

bool Group::supports_protocols(std::string_view type, const std::vector<Protocol>& offered) const {
  if (members.empty()) return !type.empty() && !offered.empty();
  if (!protocol_type || *protocol_type != type) return false;
  return std::any_of(offered.begin(), offered.end(), [&](const Protocol& protocol) {
    return std::all_of(members.begin(), members.end(), [&](const auto& entry) {
      return entry.second.metadata_for(protocol.name) != nullptr;
    });
  });
}

std::string Group::select_protocol() const {
  if (members.empty()) return {};
  std::vector<std::string> candidates;
  for (const auto& protocol : members.begin()->second.protocols) {
    const bool everyone = std::all_of(members.begin(), members.end(), [&](const auto& entry) {
      return entry.second.metadata_for(protocol.name) != nullptr;
    });
    if (everyone) candidates.push_back(protocol.name);
  }
  if (candidates.empty()) return {};
  std::map<std::string, int> votes;
  for (const auto& [id, member] : members) {
    for (const auto& protocol : member.protocols) {
      if (std::find(candidates.begin(), candidates.end(), protocol.name) == candidates.end())
        continue;
      ++votes[protocol.name];
      break;
    }
  }
  std::string chosen = candidates.front();
  for (const auto& candidate : candidates)
    if (votes[candidate] > votes[chosen]) chosen = candidate;
  return chosen;
}

bool Group::is_fenced(const std::optional<std::string>& group_instance_id,
                      std::string_view member_id) const {
  if (!group_instance_id) return false;
  auto found = static_members.find(*group_instance_id);
  return found != static_members.end() && found->second != member_id;
}

std::set<std::string> Group::subscribed_topics() const {
  std::set<std::string> topics;
  if (!protocol_type || *protocol_type != "consumer" || !protocol_name) return topics;
  for (const auto& [id, member] : members)
    if (const Bytes* metadata = member.metadata_for(*protocol_name))
      add_subscribed_topics(*metadata, topics);
  return topics;
}

std::optional<std::set<std::string>> Group::known_subscribed_topics() const {
  if (!protocol_type || *protocol_type != "consumer" || !protocol_name) return std::nullopt;
  std::set<std::string> topics;
  for (const auto& [id, member] : members) {
    const Bytes* metadata = member.metadata_for(*protocol_name);
    if (metadata == nullptr || !add_subscribed_topics(*metadata, topics)) return std::nullopt;
  }
  return topics;
}

}  // namespace weir::groups
