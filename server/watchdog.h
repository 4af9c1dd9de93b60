// The systemd watchdog: WATCHDOG=1 pings that say the broker works, not merely that the
// process is alive. Every round it sends each liveness probe (a no-op posted to a thread
// that serves clients: a network thread, the commit pipeline writer, the group
// coordinator, the accept loop) and pings only if every probe came back within half the
// round. A thread wedged in a system call (a hung disk under the commit pipeline, say)
// stops the pings, so systemd restarts the broker after WatchdogSec.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weir {

struct LivenessProbe {
  std::string name;  // for the log line when it does not answer: "network thread 2"
  // Must arrange for `answered` to run on the probed thread, once, and must not block.
  // `answered` may run after the Watchdog is gone (it holds nothing of it but shared state).
  std::function<void(std::function<void()> answered)> send;
};

class Watchdog {
 public:
  // Starts a thread that runs a round every `round`: sends the probes whose previous
  // answer is in (a wedged thread is not sent a pile of them), waits for all of them for
  // half a round, and calls `ping` if every one answered by then. A probe still out then
  // is logged once per stall.
  Watchdog(std::chrono::microseconds round, std::vector<LivenessProbe> probes,
           std::function<void()> ping);
  // Stops and joins the thread; answers arriving later are ignored.
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<bool> waiting;  // guarded by mutex: probe i was sent and has not answered
    bool stopping = false;      // guarded by mutex
  };

  void run();
  bool stopping() const;
  // Sends every probe that is not still out from an earlier round.
  void send_probes();
  // True if every probe answered by `deadline`; false when stopping or one is still out.
  bool wait_for_answers(std::chrono::steady_clock::time_point deadline);
  void report_stalls();

  const std::chrono::microseconds round_;
  const std::vector<LivenessProbe> probes_;
  const std::function<void()> ping_;
  const std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::vector<bool> reported_stall_;  // watchdog thread only
  std::thread thread_;                // last: starts after every member above
};

// When systemd asked for watchdog pings (WATCHDOG_USEC, and WATCHDOG_PID naming this
// process), a Watchdog that sends WATCHDOG=1 every half interval, as sd_watchdog_enabled(3)
// advises, each time every thread answered within a quarter interval; otherwise nullptr.
std::unique_ptr<Watchdog> start_systemd_watchdog(std::vector<LivenessProbe> probes);

}  // namespace weir
