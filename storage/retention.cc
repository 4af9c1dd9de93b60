#include "storage/retention.h"

#include <charconv>
#include <string_view>

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

// cleanup.policy is a comma-separated list ("delete", "compact" or both); the default is
// "delete".
bool deletes_by_retention(const std::map<std::string, std::string>& configs) {
  auto found = configs.find("cleanup.policy");
  if (found == configs.end()) return true;
  std::string_view rest = found->second;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "delete") return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

RetentionPolicy retention_policy(const std::map<std::string, std::string>& configs) {
  RetentionPolicy defaults;
  RetentionPolicy policy;
  // Kafka deletes by retention.ms and retention.bytes only when cleanup.policy includes
  // "delete": a compact-only topic keeps every batch (Weir does not compact it either).
  if (!deletes_by_retention(configs)) return RetentionPolicy{-1, -1};
  policy.retention_ms = config_or(configs, "retention.ms", defaults.retention_ms);
  policy.retention_bytes = config_or(configs, "retention.bytes", defaults.retention_bytes);
  return policy;
}

}  // namespace weir::storage
