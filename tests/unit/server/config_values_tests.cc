#include <catch2/catch.hpp>

#include "server/config_values.h"

using namespace weir::config_values;
using weir::HostPort;
using weir::IpNetwork;
using weir::LogFormat;
using weir::TlsVersion;

namespace {

// An address as IpNetwork::contains takes it (IPv4 mapped into IPv6).
std::array<std::uint8_t, 16> address(const char* text) {
  IpNetwork single;
  REQUIRE_FALSE(parse_ip_network(text, &single));
  return single.address;
}

}  // namespace

TEST_CASE("integers are accepted only whole and within their range") {
  std::int64_t value = -1;
  CHECK_FALSE(parse_integer("42", 1, 100, &value));
  CHECK(value == 42);
  CHECK(parse_integer("0", 1, 100, &value) == "'0' is not an integer from 1 to 100");
  CHECK(parse_integer("101", 1, 100, &value));
  CHECK(parse_integer("", 1, 100, &value));
  CHECK(parse_integer("12abc", 1, 100, &value));
  CHECK(parse_integer(" 12", 1, 100, &value));
  CHECK(parse_integer("99999999999999999999999", 1, 100, &value));
  CHECK(value == 42);  // a rejected text leaves the value alone
}

TEST_CASE("booleans accept true/false, 1/0 and yes/no only") {
  bool value = false;
  CHECK_FALSE(parse_bool("yes", &value));
  CHECK(value);
  CHECK_FALSE(parse_bool("0", &value));
  CHECK_FALSE(value);
  CHECK(parse_bool("TRUE", &value) == "'TRUE' is not true or false");
  CHECK(parse_bool("", &value));
}

TEST_CASE("host:port parses names, IPv4 and bracketed IPv6") {
  HostPort value;
  CHECK_FALSE(weir::config_values::parse_host_port("localhost:9092", &value));
  CHECK(value.host == "localhost");
  CHECK(value.port == 9092);
  CHECK_FALSE(weir::config_values::parse_host_port("[::1]:9093", &value));
  CHECK(value.host == "::1");
  CHECK(value.port == 9093);
  CHECK(weir::config_values::format_host_port(value) == "[::1]:9093");
  CHECK(weir::config_values::parse_host_port("localhost", &value));
  CHECK(weir::config_values::parse_host_port(":9092", &value));
  CHECK(weir::config_values::parse_host_port("host:65536", &value));
  CHECK(weir::config_values::parse_host_port("host:", &value));
  CHECK(weir::config_values::parse_host_port("[::1]9092", &value));
}

TEST_CASE("an IP network contains exactly the addresses under its prefix") {
  IpNetwork network;
  REQUIRE_FALSE(parse_ip_network("10.1.0.0/16", &network));
  CHECK(network.contains(address("10.1.200.3")));
  CHECK_FALSE(network.contains(address("10.2.0.1")));
  CHECK_FALSE(network.contains(address("::1")));

  REQUIRE_FALSE(parse_ip_network("192.0.2.7", &network));
  CHECK(network.contains(address("192.0.2.7")));
  CHECK_FALSE(network.contains(address("192.0.2.8")));

  REQUIRE_FALSE(parse_ip_network("fd00::/8", &network));
  CHECK(network.contains(address("fd12:3456::1")));
  CHECK_FALSE(network.contains(address("fe80::1")));

  REQUIRE_FALSE(parse_ip_network("10.0.0.0/9", &network));  // prefix not on a byte boundary
  CHECK(network.contains(address("10.127.255.255")));
  CHECK_FALSE(network.contains(address("10.128.0.0")));

  REQUIRE_FALSE(parse_ip_network("0.0.0.0/0", &network));
  CHECK(network.contains(address("203.0.113.9")));
}

TEST_CASE("bad networks are rejected with the reason") {
  IpNetwork network;
  CHECK(parse_ip_network("10.0.0.0/33", &network) ==
        "'10.0.0.0/33' has no prefix length from 0 to 32");
  CHECK(parse_ip_network("::/129", &network));
  CHECK(parse_ip_network("10.0.0/8", &network) ==
        "'10.0.0/8' is not an IP address or CIDR network");
  CHECK(parse_ip_network("example.com", &network));
  CHECK(parse_ip_network("10.0.0.1/", &network));
}

TEST_CASE("network lists split on commas and ignore blanks") {
  std::vector<IpNetwork> networks;
  CHECK_FALSE(parse_ip_network_list(" 10.0.0.0/8 , ::1", &networks));
  REQUIRE(networks.size() == 2);
  CHECK(format_ip_network_list(networks) == "10.0.0.0/8,::1");
  CHECK_FALSE(parse_ip_network_list("", &networks));
  CHECK(networks.empty());
  CHECK(parse_ip_network_list("10.0.0.0/8,nonsense", &networks));
}

TEST_CASE("TLS versions and log formats accept their listed words only") {
  TlsVersion version = TlsVersion::tls1_2;
  CHECK_FALSE(parse_tls_version("1.3", &version));
  CHECK(version == TlsVersion::tls1_3);
  CHECK(parse_tls_version("1.1", &version) == "'1.1' is not 1.2 or 1.3");
  LogFormat format = LogFormat::text;
  CHECK_FALSE(parse_log_format("json", &format));
  CHECK(format == LogFormat::json);
  CHECK(parse_log_format("JSON", &format));
}
