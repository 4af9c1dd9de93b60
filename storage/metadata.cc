#include "storage/metadata.h"

#include <random>

#include "storage/keys.h"

namespace weir::storage::metadata {
namespace {

constexpr std::size_t max_topic_name_length = 249;
constexpr std::uint8_t topic_record_version = 1;

void append_u32(std::string& out, std::uint32_t value) {
  char bytes[4];
  keys::put_u32(bytes, value);
  out.append(bytes, sizeof bytes);
}

void append_string(std::string& out, std::string_view value) {
  append_u32(out, static_cast<std::uint32_t>(value.size()));
  out.append(value);
}

// Bounds-checked cursor over a stored value: a truncated or corrupt record fails the
// decode instead of reading past the end.
class Cursor {
 public:
  explicit Cursor(std::string_view in) : in_(in) {}
  bool u8(std::uint8_t* value) {
    if (in_.size() < 1) return false;
    *value = static_cast<std::uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool u32(std::uint32_t* value) {
    if (in_.size() < 4) return false;
    *value = keys::get_u32(in_.data());
    in_.remove_prefix(4);
    return true;
  }
  bool bytes(std::size_t size, std::string_view* value) {
    if (in_.size() < size) return false;
    *value = in_.substr(0, size);
    in_.remove_prefix(size);
    return true;
  }
  bool string(std::string* value) {
    std::uint32_t size = 0;
    std::string_view view;
    if (!u32(&size) || !bytes(size, &view)) return false;
    value->assign(view);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

bool is_valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > max_topic_name_length || name == "." || name == "..")
    return false;
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

std::string topic_key(std::string_view name) {
  std::string key(topic_key_prefix);
  key.append(name);
  return key;
}

std::string log_start_key(std::uint32_t topic_internal_id, std::uint32_t partition) {
  std::string key(log_start_key_prefix);
  append_u32(key, topic_internal_id);
  append_u32(key, partition);
  return key;
}

// version u8 ‖ internal_id u32 ‖ topic_id 16 bytes ‖ partition_count u32 ‖ config count u32
// ‖ per config: key length u32 ‖ key ‖ value length u32 ‖ value. Integers big-endian.
std::string encode_topic(const TopicDescription& topic) {
  std::string out;
  out.push_back(static_cast<char>(topic_record_version));
  append_u32(out, topic.internal_id);
  out.append(reinterpret_cast<const char*>(topic.topic_id.data()), topic.topic_id.size());
  append_u32(out, static_cast<std::uint32_t>(topic.partition_count));
  append_u32(out, static_cast<std::uint32_t>(topic.configs.size()));
  for (const auto& [key, value] : topic.configs) {
    append_string(out, key);
    append_string(out, value);
  }
  return out;
}

std::optional<TopicDescription> decode_topic(std::string_view name, std::string_view value) {
  Cursor in(value);
  TopicDescription topic;
  topic.name = name;
  std::uint8_t version = 0;
  std::string_view id;
  std::uint32_t partitions = 0;
  std::uint32_t config_count = 0;
  if (!in.u8(&version) || version != topic_record_version) return std::nullopt;
  if (!in.u32(&topic.internal_id) || !in.bytes(topic.topic_id.size(), &id)) return std::nullopt;
  for (std::size_t i = 0; i < id.size(); ++i) topic.topic_id[i] = static_cast<std::uint8_t>(id[i]);
  if (!in.u32(&partitions) || partitions == 0 || partitions > 0x7fffffffu) return std::nullopt;
  topic.partition_count = static_cast<std::int32_t>(partitions);
  if (!in.u32(&config_count)) return std::nullopt;
  for (std::uint32_t i = 0; i < config_count; ++i) {
    std::string config_key;
    std::string config_value;
    if (!in.string(&config_key) || !in.string(&config_value)) return std::nullopt;
    topic.configs.emplace(std::move(config_key), std::move(config_value));
  }
  if (!in.done()) return std::nullopt;
  return topic;
}

std::string encode_u32(std::uint32_t value) {
  std::string out;
  append_u32(out, value);
  return out;
}

std::optional<std::uint32_t> decode_u32(std::string_view value) {
  if (value.size() != 4) return std::nullopt;
  return keys::get_u32(value.data());
}

Uuid random_uuid() {
  std::random_device device;
  Uuid uuid;
  for (std::size_t i = 0; i < uuid.size(); i += 4) {
    const std::uint32_t word = device();
    for (std::size_t j = 0; j < 4; ++j) uuid[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  uuid[6] = static_cast<std::uint8_t>((uuid[6] & 0x0f) | 0x40);  // version 4
  uuid[8] = static_cast<std::uint8_t>((uuid[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return uuid;
}

std::string to_kafka_base64(const Uuid& uuid) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve(22);
  std::size_t i = 0;
  for (; i + 3 <= uuid.size(); i += 3) {
    const std::uint32_t group =
        (std::uint32_t{uuid[i]} << 16) | (std::uint32_t{uuid[i + 1]} << 8) | uuid[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(alphabet[(group >> shift) & 0x3f]);
  }
  // 16 = 5 * 3 + 1: one byte left, two characters, no padding.
  const std::uint32_t last = std::uint32_t{uuid[i]} << 16;
  out.push_back(alphabet[(last >> 18) & 0x3f]);
  out.push_back(alphabet[(last >> 12) & 0x3f]);
  return out;
}

}  // namespace weir::storage::metadata
