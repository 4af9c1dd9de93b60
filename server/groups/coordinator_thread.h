// Runs the group coordinator on a thread of its own. Handlers hand it work with post();
// the work runs there, one call at a time, so the coordinator needs no locks and its
// RocksDB writes never block a network thread. One steady_timer, re-armed after every
// call to the coordinator's earliest deadline, enforces session and rebalance timeouts.
// Work posted must not block and must hand replies back to the connection's executor.
#pragma once

#include <asio.hpp>
#include <functional>
#include <thread>

#include "groups/coordinator.h"

namespace weir {

class GroupCoordinatorThread {
 public:
  using Work = std::function<void(groups::Coordinator& coordinator, groups::TimePoint now)>;

  GroupCoordinatorThread(groups::CoordinatorOptions options, storage::Store& store);
  ~GroupCoordinatorThread();
  GroupCoordinatorThread(const GroupCoordinatorThread&) = delete;
  GroupCoordinatorThread& operator=(const GroupCoordinatorThread&) = delete;

  // Loads the stored groups, then starts the thread. Throws std::runtime_error if the
  // groups cannot be loaded (a start-up failure).
  void start();
  // Stops the thread; parked JoinGroup/SyncGroup replies are dropped with their connections.
  void stop();
  // Thread-safe.
  void post(Work work);
  // Groups by state and rebalances; readable from any thread.
  const groups::GroupStats& group_stats() const { return coordinator_.stats(); }

 private:
  void rearm_timer();

  asio::io_context io_context_;
  asio::executor_work_guard<asio::io_context::executor_type> work_guard_;
  asio::steady_timer timer_;
  bool timer_armed_ = false;  // a wait for timer_.expiry() is pending
  groups::Coordinator coordinator_;
  std::thread thread_;
};

}  // namespace weir
