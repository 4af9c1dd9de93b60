#include "server/config_values.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace weir {

bool IpNetwork::contains(const std::array<std::uint8_t, 16>& ipv6_or_mapped) const {
  int full_bytes = prefix_length / 8;
  if (std::memcmp(address.data(), ipv6_or_mapped.data(), full_bytes) != 0) return false;
  int remaining_bits = prefix_length % 8;
  if (remaining_bits == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xFF << (8 - remaining_bits));
  return (address[full_bytes] & mask) == (ipv6_or_mapped[full_bytes] & mask);
}

namespace config_values {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Reads an IPv4 or IPv6 address into IPv6 form (IPv4 as ::ffff:a.b.c.d).
bool parse_address(const std::string& text, std::array<std::uint8_t, 16>* out, bool* is_ipv4) {
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    *out = {};
    (*out)[10] = 0xFF;
    (*out)[11] = 0xFF;
    std::memcpy(out->data() + 12, &v4, 4);
    *is_ipv4 = true;
    return true;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::memcpy(out->data(), &v6, 16);
    *is_ipv4 = false;
    return true;
  }
  return false;
}

}  // namespace

Rejection parse_integer(std::string_view text, std::int64_t min, std::int64_t max,
                        std::int64_t* out) {
  std::int64_t value = 0;
  auto [end, errc] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || errc != std::errc() || end != text.data() + text.size() || value < min ||
      value > max)
    return fmt::format("'{}' is not an integer from {} to {}", text, min, max);
  *out = value;
  return std::nullopt;
}

Rejection parse_bool(std::string_view text, bool* out) {
  if (text == "true" || text == "1" || text == "yes")
    *out = true;
  else if (text == "false" || text == "0" || text == "no")
    *out = false;
  else
    return fmt::format("'{}' is not true or false", text);
  return std::nullopt;
}

Rejection parse_host_port(std::string_view text, HostPort* out) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fmt::format("'{}' is not host:port (IPv6 as [::1]:9092)", text);
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fmt::format("'{}' is not host:port", text);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  std::int64_t port_number = 0;
  if (host.empty()) return fmt::format("'{}' has no host", text);
  if (parse_integer(port, 0, 65535, &port_number))
    return fmt::format("'{}' has no port from 0 to 65535", text);
  out->host = std::string(host);
  out->port = static_cast<std::uint16_t>(port_number);
  return std::nullopt;
}

Rejection parse_ip_network(std::string_view text, IpNetwork* out) {
  auto slash = text.find('/');
  std::string address_text(text.substr(0, slash));
  IpNetwork network;
  bool is_ipv4 = false;
  if (!parse_address(address_text, &network.address, &is_ipv4))
    return fmt::format("'{}' is not an IP address or CIDR network", text);
  int family_bits = is_ipv4 ? 32 : 128;
  std::int64_t prefix = family_bits;
  if (slash != std::string_view::npos &&
      parse_integer(text.substr(slash + 1), 0, family_bits, &prefix))
    return fmt::format("'{}' has no prefix length from 0 to {}", text, family_bits);
  network.prefix_length = static_cast<int>(prefix) + (is_ipv4 ? 96 : 0);
  network.text = std::string(text);
  *out = std::move(network);
  return std::nullopt;
}

Rejection parse_ip_network_list(std::string_view text, std::vector<IpNetwork>* out) {
  std::vector<IpNetwork> networks;
  while (!trim(text).empty()) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    IpNetwork network;
    if (auto rejection = parse_ip_network(item, &network)) return rejection;
    networks.push_back(std::move(network));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  *out = std::move(networks);
  return std::nullopt;
}

Rejection parse_tls_version(std::string_view text, TlsVersion* out) {
  if (text == "1.2")
    *out = TlsVersion::tls1_2;
  else if (text == "1.3")
    *out = TlsVersion::tls1_3;
  else
    return fmt::format("'{}' is not 1.2 or 1.3", text);
  return std::nullopt;
}

Rejection parse_log_format(std::string_view text, LogFormat* out) {
  if (text == "text")
    *out = LogFormat::text;
  else if (text == "json")
    *out = LogFormat::json;
  else
    return fmt::format("'{}' is not text or json", text);
  return std::nullopt;
}

std::string format_host_port(const HostPort& value) {
  if (value.host.find(':') != std::string::npos)
    return fmt::format("[{}]:{}", value.host, value.port);
  return fmt::format("{}:{}", value.host, value.port);
}

std::string format_ip_network_list(const std::vector<IpNetwork>& value) {
  std::string text;
  for (const auto& network : value) {
    if (!text.empty()) text += ',';
    text += network.text;
  }
  return text;
}

std::string_view format_tls_version(TlsVersion value) {
  return value == TlsVersion::tls1_3 ? "1.3" : "1.2";
}

std::string_view format_log_format(LogFormat value) {
  return value == LogFormat::json ? "json" : "text";
}

}  // namespace config_values
}  // namespace weir
