// Layout, version 1 (Kafka wire primitives: int16-length strings, int32-length bytes):
//   version int8 = 1
//   protocol_type nullable string, generation_id int32, protocol_name nullable string,
//   leader nullable string, member count int32, then per member:
//     member_id string, group_instance_id nullable string, client_id string,
//     client_host string, rebalance_timeout_ms int32, session_timeout_ms int32,
//     subscription bytes (metadata of the selected protocol), assignment bytes
#include "groups/membership_record.h"

#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace weir::groups {
namespace {

constexpr std::int8_t record_version = 1;

std::optional<std::string_view> view(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  return std::string_view(*value);
}

void encode_member(protocol::Writer& writer, const Member& member,
                   const std::optional<std::string>& protocol_name) {
  writer.write_string(member.member_id);
  writer.write_nullable_string(view(member.group_instance_id));
  writer.write_string(member.client_id);
  writer.write_string(member.client_host);
  writer.write_int32(member.rebalance_timeout_ms);
  writer.write_int32(member.session_timeout_ms);
  const Bytes* subscription = protocol_name ? member.metadata_for(*protocol_name) : nullptr;
  writer.write_bytes(subscription ? protocol::BytesView(*subscription) : protocol::BytesView());
  writer.write_bytes(member.assignment);
}

}  // namespace

std::string encode_membership(const Group& group) {
  protocol::Writer writer;
  writer.write_int8(record_version);
  writer.write_nullable_string(view(group.protocol_type));
  writer.write_int32(group.generation_id);
  writer.write_nullable_string(view(group.protocol_name));
  writer.write_nullable_string(view(group.leader));
  writer.write_int32(static_cast<std::int32_t>(group.members.size()));
  for (const auto& [id, member] : group.members) encode_member(writer, member, group.protocol_name);
  protocol::Bytes bytes = writer.take();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

bool decode_membership(std::string_view record, Group* group) {
  protocol::Reader reader(
      protocol::BytesView(reinterpret_cast<const std::byte*>(record.data()), record.size()));
  if (reader.read_int8() != record_version) return false;
  group->protocol_type = reader.read_nullable_string();
  group->generation_id = reader.read_int32();
  group->protocol_name = reader.read_nullable_string();
  group->leader = reader.read_nullable_string();
  const std::int32_t count = reader.read_int32();
  if (!reader.ok() || count < 0) return false;
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    Member member;
    member.member_id = reader.read_string();
    member.group_instance_id = reader.read_nullable_string();
    member.client_id = reader.read_string();
    member.client_host = reader.read_string();
    member.rebalance_timeout_ms = reader.read_int32();
    member.session_timeout_ms = reader.read_int32();
    Bytes subscription = reader.read_bytes();
    member.assignment = reader.read_bytes();
    if (group->protocol_name)
      member.protocols.push_back(Protocol{*group->protocol_name, std::move(subscription)});
    if (member.group_instance_id)
      group->static_members[*member.group_instance_id] = member.member_id;
    group->members.emplace(member.member_id, std::move(member));
  }
  return reader.ok() && reader.remaining() == 0;
}

}  // namespace weir::groups
