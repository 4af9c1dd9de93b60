#include <catch2/catch.hpp>
#include <vector>

#include "server/config_values.h"
#include "server/network/admission.h"

namespace weir {
namespace {

using namespace std::chrono_literals;
using Clock = Admission::Clock;

asio::ip::address ip(const char* text) { return asio::ip::make_address(text); }

std::vector<IpNetwork> networks(const char* text) {
  std::vector<IpNetwork> result;
  REQUIRE_FALSE(config_values::parse_ip_network_list(text, &result));
  return result;
}

struct Fixture {
  explicit Fixture(AdmissionSettings settings)
      : counters(std::make_shared<NetworkCounters>()),
        admission(Admission::create(std::move(settings), counters)) {}

  // Admits and keeps the slot open; returns the rejection, if any.
  std::optional<Rejection> connect(const char* address, Clock::time_point at) {
    auto decision = admission->admit(ip(address), at);
    if (decision.slot) slots.push_back(std::move(*decision.slot));
    return decision.rejection;
  }

  std::shared_ptr<NetworkCounters> counters;
  std::shared_ptr<Admission> admission;
  std::vector<ConnectionSlot> slots;
  Clock::time_point start = Clock::now();
};

AdmissionSettings no_rate_limit() {
  AdmissionSettings settings;
  settings.connection_rate_limit = 0;
  return settings;
}

}  // namespace

TEST_CASE(
    "the connection past MAX_CONNECTIONS_PER_IP is refused while another address still connects") {
  auto settings = no_rate_limit();
  settings.max_connections_per_ip = 3;
  Fixture fixture(settings);
  for (int i = 0; i < 3; ++i) CHECK_FALSE(fixture.connect("127.0.0.2", fixture.start));
  CHECK(fixture.connect("127.0.0.2", fixture.start) == Rejection::max_connections_per_ip);
  CHECK_FALSE(fixture.connect("127.0.0.3", fixture.start));
  CHECK(fixture.counters->rejected_max_connections_per_ip == 1);
  CHECK(fixture.counters->connections_accepted == 4);
  CHECK(fixture.admission->open_connections_from(ip("127.0.0.2")) == 3);
}

TEST_CASE("closing a connection gives its per-IP and global slot back") {
  auto settings = no_rate_limit();
  settings.max_connections_per_ip = 1;
  settings.max_connections = 1;
  Fixture fixture(settings);
  CHECK_FALSE(fixture.connect("10.1.1.1", fixture.start));
  CHECK(fixture.connect("10.1.1.1", fixture.start) == Rejection::max_connections);
  fixture.slots.clear();
  CHECK(fixture.admission->open_connections() == 0);
  CHECK(fixture.counters->connections_open == 0);
  CHECK_FALSE(fixture.connect("10.1.1.1", fixture.start));
}

TEST_CASE("MAX_CONNECTIONS holds across addresses and allow-listed peers") {
  auto settings = no_rate_limit();
  settings.max_connections = 4;
  settings.allow_list = networks("10.0.0.0/8");
  Fixture fixture(settings);
  CHECK_FALSE(fixture.connect("10.0.0.1", fixture.start));
  CHECK_FALSE(fixture.connect("10.0.0.1", fixture.start));
  CHECK_FALSE(fixture.connect("192.168.0.1", fixture.start));
  CHECK_FALSE(fixture.connect("192.168.0.2", fixture.start));
  CHECK(fixture.connect("192.168.0.3", fixture.start) == Rejection::max_connections);
  CHECK(fixture.connect("10.0.0.2", fixture.start) == Rejection::max_connections);
  CHECK(fixture.counters->rejected_max_connections == 2);
  CHECK(fixture.admission->open_connections() == 4);
}

TEST_CASE(
    "an address that connects faster than the rate limit is banned, then let in after the ban") {
  AdmissionSettings settings;
  settings.connection_rate_limit = 5;
  settings.ban_duration = 10s;
  Fixture fixture(settings);
  const auto t0 = fixture.start;
  for (int i = 0; i < 5; ++i) CHECK_FALSE(fixture.connect("127.0.0.4", t0));
  CHECK(fixture.connect("127.0.0.4", t0) == Rejection::rate_limited);
  CHECK(fixture.connect("127.0.0.4", t0 + 5s) == Rejection::banned);
  CHECK(fixture.connect("127.0.0.4", t0 + 9s) == Rejection::banned);
  // Other addresses are not affected by the ban.
  CHECK_FALSE(fixture.connect("127.0.0.5", t0 + 1s));
  CHECK_FALSE(fixture.connect("127.0.0.4", t0 + 10s));
  CHECK(fixture.counters->rejected_rate_limited == 1);
  CHECK(fixture.counters->rejected_banned == 2);
}

TEST_CASE("connections spread out within the rate limit are never banned") {
  AdmissionSettings settings;
  settings.connection_rate_limit = 2;
  settings.max_connections_per_ip = 1000;
  Fixture fixture(settings);
  for (int i = 0; i < 100; ++i)
    CHECK_FALSE(fixture.connect("127.0.0.6", fixture.start + i * 500ms));
  CHECK(fixture.counters->rejected_rate_limited == 0);
}

TEST_CASE("allow-listed addresses bypass the per-IP count, the rate limit and bans") {
  AdmissionSettings settings;
  settings.max_connections_per_ip = 2;
  settings.connection_rate_limit = 1;
  settings.allow_list = networks("127.0.0.7, fd00::/8");
  Fixture fixture(settings);
  for (int i = 0; i < 20; ++i) CHECK_FALSE(fixture.connect("127.0.0.7", fixture.start));
  for (int i = 0; i < 20; ++i) CHECK_FALSE(fixture.connect("fd12::1", fixture.start));
  CHECK_FALSE(fixture.connect("127.0.0.8", fixture.start));
  CHECK(fixture.connect("127.0.0.8", fixture.start) == Rejection::rate_limited);
}

TEST_CASE("IPv4 peers seen on a dual-stack socket count as their IPv4 address") {
  auto settings = no_rate_limit();
  settings.max_connections_per_ip = 1;
  settings.allow_list = networks("192.0.2.0/24");
  Fixture fixture(settings);
  CHECK_FALSE(fixture.connect("::ffff:10.9.9.9", fixture.start));
  CHECK(fixture.connect("10.9.9.9", fixture.start) == Rejection::max_connections_per_ip);
  CHECK_FALSE(fixture.connect("::ffff:192.0.2.1", fixture.start));
  CHECK_FALSE(fixture.connect("::ffff:192.0.2.1", fixture.start));
}

TEST_CASE("records of addresses with nothing to remember are pruned") {
  AdmissionSettings settings;
  settings.connection_rate_limit = 10;
  Fixture fixture(settings);
  for (int i = 0; i < 5000; ++i) {
    auto address =
        asio::ip::make_address_v4(static_cast<asio::ip::address_v4::uint_type>(0x0a000000 + i));
    auto decision = fixture.admission->admit(address, fixture.start + i * 10ms);
    CHECK(decision.slot);
  }
  CHECK(fixture.admission->tracked_addresses() < 2500);
}

}  // namespace weir
