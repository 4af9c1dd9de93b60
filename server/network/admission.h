// Admission control at accept time: decides from the peer address alone, before anything
// is allocated for the connection, whether a new connection may stay open.
//
// Limits: a broker-wide maximum of open connections; a maximum per IP; a token bucket of
// new connections per IP per second, and an IP that empties its bucket is banned for a
// while (reconnect storms and scanners stop costing us accepts). Addresses on the
// allow-list skip the per-IP limits, never the broker-wide one.
//
// Thread-safe: the acceptor admits while network threads release closed connections.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/config.h"
#include "server/network/network_counters.h"

namespace weir {

// IPv4 peers accepted on a dual-stack socket arrive as ::ffff:a.b.c.d; limits and the
// allow-list treat them as the IPv4 address they are.
asio::ip::address canonical_address(const asio::ip::address& address);

struct AdmissionSettings {
  int max_connections = 10000;
  int max_connections_per_ip = 100;
  // New connections per IP per second; 0 turns the rate limit off.
  int connection_rate_limit = 100;
  std::chrono::seconds ban_duration{60};
  // CONNECTION_ALLOW_LIST: networks that bypass the per-IP limits and bans.
  std::vector<IpNetwork> allow_list;
};

enum class Rejection { max_connections, max_connections_per_ip, rate_limited, banned };
std::string_view describe(Rejection rejection);

class Admission;

// One admitted connection's share of the limits, given back when the slot is destroyed.
// Move-only; keeps the admission state alive, so it may outlive the broker's references.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionSlot&& other) noexcept;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot();

 private:
  friend class Admission;
  ConnectionSlot(std::shared_ptr<Admission> admission, asio::ip::address address,
                 bool counted_per_ip)
      : admission_(std::move(admission)), address_(address), counted_per_ip_(counted_per_ip) {}
  void release();

  std::shared_ptr<Admission> admission_;
  asio::ip::address address_;
  bool counted_per_ip_ = false;
};

class Admission : public std::enable_shared_from_this<Admission> {
 public:
  using Clock = std::chrono::steady_clock;

  static std::shared_ptr<Admission> create(AdmissionSettings settings,
                                           std::shared_ptr<NetworkCounters> counters);

  struct Decision {
    std::optional<ConnectionSlot> slot;  // set when admitted
    std::optional<Rejection> rejection;  // set when refused
  };
  // Every call counts as a connection attempt of `peer` at `now`, admitted or not.
  Decision admit(const asio::ip::address& peer, Clock::time_point now);

  int open_connections() const;
  int open_connections_from(const asio::ip::address& peer) const;
  // Per-IP records kept (open connections, a partly spent bucket or a ban): bounded by the
  // pruning of idle records, which this lets tests observe.
  std::size_t tracked_addresses() const;

 private:
  friend class ConnectionSlot;
  struct PeerState {
    int open = 0;
    double tokens = 0;
    Clock::time_point refilled_at{};
    Clock::time_point banned_until{};
  };

  Admission(AdmissionSettings settings, std::shared_ptr<NetworkCounters> counters);
  bool allow_listed(const asio::ip::address& address) const;
  // Refills the bucket and takes one token; false when it is empty.
  bool take_token(PeerState& state, Clock::time_point now) const;
  void release(const asio::ip::address& address, bool counted_per_ip);
  void prune_if_large(Clock::time_point now);
  Decision reject(Rejection rejection);

  const AdmissionSettings settings_;
  const std::shared_ptr<NetworkCounters> counters_;
  mutable std::mutex mutex_;
  int open_ = 0;
  std::unordered_map<asio::ip::address, PeerState> peers_;
  std::size_t prune_above_ = 1024;
};

}  // namespace weir
