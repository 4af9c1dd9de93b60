// Counts the coordinator keeps for the metrics exporter: groups by state and rebalances.
// Written only by the coordinator's thread, read from any thread (a scrape): every count
// is a relaxed atomic, exact on its own though not a snapshot of all of them together.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "groups/group.h"

namespace weir::groups {

class GroupStats {
 public:
  static constexpr std::size_t state_count = 5;  // GroupState's values

  std::int64_t groups_in(GroupState state) const {
    return by_state_[index(state)].load(std::memory_order_relaxed);
  }
  // Rebalances completed: each new generation handed to at least one member.
  std::uint64_t rebalances() const { return rebalances_.load(std::memory_order_relaxed); }

  // The coordinator's side.
  void group_added(GroupState state) {
    by_state_[index(state)].fetch_add(1, std::memory_order_relaxed);
  }
  void group_removed(GroupState state) {
    by_state_[index(state)].fetch_sub(1, std::memory_order_relaxed);
  }
  void state_changed(GroupState from, GroupState to) {
    if (from == to) return;
    group_removed(from);
    group_added(to);
  }
  void rebalance_completed() { rebalances_.fetch_add(1, std::memory_order_relaxed); }

 private:
  static std::size_t index(GroupState state) { return static_cast<std::size_t>(state); }

  std::array<std::atomic<std::int64_t>, state_count> by_state_{};
  std::atomic<std::uint64_t> rebalances_{0};
};

}  // namespace weir::groups
