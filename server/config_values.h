// Text <-> typed value conversions for configuration settings. Pure functions, shared by
// every source (TOML file, environment, flags), so a value means the same wherever it
// is written. Each parser returns the reason a text is rejected, or nullopt on success.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"

namespace weir::config_values {

using Rejection = std::optional<std::string>;

Rejection parse_integer(std::string_view text, std::int64_t min, std::int64_t max,
                        std::int64_t* out);
// Accepts true/false, 1/0, yes/no.
Rejection parse_bool(std::string_view text, bool* out);
// "host:port", IPv6 as "[::1]:9092".
Rejection parse_host_port(std::string_view text, HostPort* out);
// An address ("192.0.2.7", "::1") or a CIDR network ("10.0.0.0/8", "fd00::/8").
Rejection parse_ip_network(std::string_view text, IpNetwork* out);
// Comma-separated networks; blanks around items are ignored, an empty text is an empty list.
Rejection parse_ip_network_list(std::string_view text, std::vector<IpNetwork>* out);
// "1.2" or "1.3".
Rejection parse_tls_version(std::string_view text, TlsVersion* out);
// "text" or "json".
Rejection parse_log_format(std::string_view text, LogFormat* out);

std::string format_host_port(const HostPort& value);
std::string format_ip_network_list(const std::vector<IpNetwork>& value);
std::string_view format_tls_version(TlsVersion value);
std::string_view format_log_format(LogFormat value);

}  // namespace weir::config_values
