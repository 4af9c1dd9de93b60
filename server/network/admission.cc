#include "server/network/admission.h"

#include <fmt/format.h>

#include <algorithm>

namespace weir {
asio::ip::address canonical_address(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address;
}

std::string_view describe(Rejection rejection) {
  switch (rejection) {
    case Rejection::max_connections:
      return "MAX_CONNECTIONS reached";
    case Rejection::max_connections_per_ip:
      return "MAX_CONNECTIONS_PER_IP reached";
    case Rejection::rate_limited:
      return "CONNECTION_RATE_LIMIT exceeded, address banned";
    case Rejection::banned:
      return "address banned for exceeding CONNECTION_RATE_LIMIT";
  }
  return "refused";
}

ConnectionSlot::ConnectionSlot(ConnectionSlot&& other) noexcept
    : admission_(std::move(other.admission_)),
      address_(other.address_),
      counted_per_ip_(other.counted_per_ip_) {}

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
  if (this != &other) {
    release();
    admission_ = std::move(other.admission_);
    address_ = other.address_;
    counted_per_ip_ = other.counted_per_ip_;
  }
  return *this;
}

ConnectionSlot::~ConnectionSlot() { release(); }

void ConnectionSlot::release() {
  if (!admission_) return;
  admission_->release(address_, counted_per_ip_);
  admission_.reset();
}

std::shared_ptr<Admission> Admission::create(AdmissionSettings settings,
                                             std::shared_ptr<NetworkCounters> counters) {
  return std::shared_ptr<Admission>(new Admission(std::move(settings), std::move(counters)));
}

Admission::Admission(AdmissionSettings settings, std::shared_ptr<NetworkCounters> counters)
    : settings_(std::move(settings)), counters_(std::move(counters)) {}

bool Admission::allow_listed(const asio::ip::address& address) const {
  const auto mapped =
      address.is_v4() ? asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4()).to_bytes()
                      : address.to_v6().to_bytes();
  return std::any_of(settings_.allow_list.begin(), settings_.allow_list.end(),
                     [&](const IpNetwork& network) { return network.contains(mapped); });
}

bool Admission::take_token(PeerState& state, Clock::time_point now) const {
  const double capacity = settings_.connection_rate_limit;
  const double elapsed = std::chrono::duration<double>(now - state.refilled_at).count();
  state.tokens = std::min(capacity, state.tokens + std::max(0.0, elapsed) * capacity);
  state.refilled_at = now;
  if (state.tokens < 1.0) return false;
  state.tokens -= 1.0;
  return true;
}

Admission::Decision Admission::reject(Rejection rejection) {
  switch (rejection) {
    case Rejection::max_connections:
      bump(counters_->rejected_max_connections);
      break;
    case Rejection::max_connections_per_ip:
      bump(counters_->rejected_max_connections_per_ip);
      break;
    case Rejection::rate_limited:
      bump(counters_->rejected_rate_limited);
      break;
    case Rejection::banned:
      bump(counters_->rejected_banned);
      break;
  }
  return Decision{std::nullopt, rejection};
}

Admission::Decision Admission::admit(const asio::ip::address& peer, Clock::time_point now) {
  const auto address = canonical_address(peer);
  const bool per_ip_limits = !allow_listed(address);
  std::lock_guard lock(mutex_);
  PeerState* state = nullptr;
  if (per_ip_limits) {
    prune_if_large(now);
    auto [entry, inserted] = peers_.try_emplace(address);
    state = &entry->second;
    if (inserted) {
      state->tokens = settings_.connection_rate_limit;
      state->refilled_at = now;
    }
    // A banned address stays banned for the whole ban, however often it retries, but
    // its retries do not extend the ban: a client with a fixed back-off gets back in.
    if (now < state->banned_until) return reject(Rejection::banned);
    if (settings_.connection_rate_limit > 0 && !take_token(*state, now)) {
      state->banned_until = now + settings_.ban_duration;
      return reject(Rejection::rate_limited);
    }
  }
  if (open_ >= settings_.max_connections) return reject(Rejection::max_connections);
  if (per_ip_limits && state->open >= settings_.max_connections_per_ip)
    return reject(Rejection::max_connections_per_ip);
  ++open_;
  if (per_ip_limits) ++state->open;
  bump(counters_->connections_accepted);
  counters_->connections_open.fetch_add(1, std::memory_order_relaxed);
  return Decision{ConnectionSlot(shared_from_this(), address, per_ip_limits), std::nullopt};
}

void Admission::release(const asio::ip::address& address, bool counted_per_ip) {
  std::lock_guard lock(mutex_);
  --open_;
  counters_->connections_open.fetch_sub(1, std::memory_order_relaxed);
  if (!counted_per_ip) return;
  auto entry = peers_.find(address);
  if (entry != peers_.end()) --entry->second.open;
}

// A scanner walking many addresses leaves one record per address; records with nothing
// to remember (no open connection, no ban, a full bucket) are dropped once the table has
// doubled since the last sweep, so the sweeps cost O(1) per admission on average.
void Admission::prune_if_large(Clock::time_point now) {
  if (peers_.size() < prune_above_) return;
  const auto refill_time =
      settings_.connection_rate_limit > 0 ? std::chrono::seconds(1) : std::chrono::seconds(0);
  std::erase_if(peers_, [&](const auto& entry) {
    const PeerState& state = entry.second;
    return state.open == 0 && now >= state.banned_until && now - state.refilled_at >= refill_time;
  });
  prune_above_ = std::max<std::size_t>(1024, peers_.size() * 2);
}

int Admission::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

int Admission::open_connections_from(const asio::ip::address& peer) const {
  std::lock_guard lock(mutex_);
  auto entry = peers_.find(canonical_address(peer));
  return entry == peers_.end() ? 0 : entry->second.open;
}

std::size_t Admission::tracked_addresses() const {
  std::lock_guard lock(mutex_);
  return peers_.size();
}

}  // namespace weir
