#include "storage/retention.h"

#include <charconv>

namespace weir::storage {
namespace {

std::int64_t config_or(const std::map<std::string, std::string>& configs, const std::string& key,
                       std::int64_t fallback) {
  auto found = configs.find(key);
  if (found == configs.end()) return fallback;
  const std::string& text = found->second;
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return fallback;
  return value < 0 ? -1 : value;
}

}  // namespace

RetentionPolicy retention_policy(const std::map<std::string, std::string>& configs) {
  RetentionPolicy defaults;
  RetentionPolicy policy;
  policy.retention_ms = config_or(configs, "retention.ms", defaults.retention_ms);
  policy.retention_bytes = config_or(configs, "retention.bytes", defaults.retention_bytes);
  return policy;
}

}  // namespace weir::storage
