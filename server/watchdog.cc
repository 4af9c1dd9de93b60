#include "server/watchdog.h"

#include <pthread.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdint>

#include "server/log.h"

namespace weir {

Watchdog::Watchdog(std::chrono::microseconds round, std::vector<LivenessProbe> probes,
                   std::function<void()> ping)
    : round_(round),
      probes_(std::move(probes)),
      ping_(std::move(ping)),
      reported_stall_(probes_.size(), false) {
  shared_->waiting.assign(probes_.size(), false);
  thread_ = std::thread([this] { run(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->changed.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::run() {
  pthread_setname_np(pthread_self(), "weir-watchdog");
  auto round_start = std::chrono::steady_clock::now();
  for (;;) {
    send_probes();
    // Answers are due within half a round: with a ping at most once per round, pings are
    // then never more than one and a half rounds apart while every thread answers.
    const bool all_answered = wait_for_answers(round_start + round_ / 2);
    if (stopping()) return;
    if (all_answered) {
      ping_();
    } else {
      report_stalls();
    }
    round_start += round_;
    // A watchdog thread that itself fell behind starts afresh rather than running a burst
    // of rounds whose probes would have no time to answer.
    round_start = std::max(round_start, std::chrono::steady_clock::now());
    std::unique_lock lock(shared_->mutex);
    if (shared_->changed.wait_until(lock, round_start, [this] { return shared_->stopping; }))
      return;
  }
}

bool Watchdog::stopping() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->stopping;
}

void Watchdog::send_probes() {
  for (std::size_t index = 0; index < probes_.size(); ++index) {
    {
      std::lock_guard lock(shared_->mutex);
      if (shared_->waiting[index]) continue;
      shared_->waiting[index] = true;
    }
    if (reported_stall_[index]) {
      log::event(log::Level::warn, "watchdog: thread answers again",
                 {{"thread", probes_[index].name}});
      reported_stall_[index] = false;
    }
    probes_[index].send([shared = shared_, index] {
      {
        std::lock_guard lock(shared->mutex);
        shared->waiting[index] = false;
      }
      shared->changed.notify_all();
    });
  }
}

bool Watchdog::wait_for_answers(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(shared_->mutex);
  const auto none_waiting = [this] {
    for (bool waiting : shared_->waiting) {
      if (waiting) return false;
    }
    return true;
  };
  shared_->changed.wait_until(lock, deadline, [&] { return shared_->stopping || none_waiting(); });
  return !shared_->stopping && none_waiting();
}

void Watchdog::report_stalls() {
  std::vector<std::size_t> stalled;
  {
    std::lock_guard lock(shared_->mutex);
    for (std::size_t index = 0; index < probes_.size(); ++index) {
      if (shared_->waiting[index] && !reported_stall_[index]) stalled.push_back(index);
    }
  }
  for (std::size_t index : stalled) {
    reported_stall_[index] = true;
    log::event(
        log::Level::error, "watchdog: thread does not answer, not pinging systemd",
        {{"thread", probes_[index].name},
         {"round_ms", std::chrono::duration_cast<std::chrono::milliseconds>(round_).count()}});
  }
}

std::unique_ptr<Watchdog> start_systemd_watchdog(std::vector<LivenessProbe> probes) {
  std::uint64_t interval_usec = 0;
  if (sd_watchdog_enabled(0, &interval_usec) <= 0 || interval_usec == 0) return nullptr;
  const std::chrono::microseconds round(interval_usec / 2);
  log::event(log::Level::info, "systemd watchdog enabled",
             {{"interval_ms", interval_usec / 1000}, {"threads", probes.size()}});
  return std::make_unique<Watchdog>(round, std::move(probes), [] { sd_notify(0, "WATCHDOG=1"); });
}

}  // namespace weir
