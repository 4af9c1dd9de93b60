#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "server/watchdog.h"

using namespace std::chrono_literals;

namespace {

// Counts what the watchdog did; waits for a count without assuming how fast rounds go.
struct Observed {
  std::mutex mutex;
  std::condition_variable changed;
  int pings = 0;
  int healthy_sends = 0;
  int wedged_sends = 0;
  std::function<void()> wedged_answer;

  void count(int Observed::*counter) {
    {
      std::lock_guard lock(mutex);
      ++(this->*counter);
    }
    changed.notify_all();
  }
  bool wait_until_at_least(int Observed::*counter, int value) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 30s, [&] { return this->*counter >= value; });
  }
  int read(int Observed::*counter) {
    std::lock_guard lock(mutex);
    return this->*counter;
  }
};

weir::LivenessProbe healthy_probe(Observed& observed) {
  return {"healthy", [&observed](std::function<void()> answered) {
            observed.count(&Observed::healthy_sends);
            answered();
          }};
}

// Keeps its answer until the test gives it.
weir::LivenessProbe wedged_probe(Observed& observed) {
  return {"wedged", [&observed](std::function<void()> answered) {
            {
              std::lock_guard lock(observed.mutex);
              observed.wedged_answer = std::move(answered);
            }
            observed.count(&Observed::wedged_sends);
          }};
}

}  // namespace

TEST_CASE("the watchdog pings every round while every probe answers") {
  Observed observed;
  weir::Watchdog watchdog(2ms, {healthy_probe(observed)},
                          [&] { observed.count(&Observed::pings); });
  REQUIRE(observed.wait_until_at_least(&Observed::pings, 5));
  // One probe per round: no more sends than rounds started (sends first: both only grow).
  const int sends = observed.read(&Observed::healthy_sends);
  const int pings = observed.read(&Observed::pings);
  CHECK(sends <= pings + 1);
}

TEST_CASE(
    "a probe that does not answer stops the pings until it answers, and is not sent again "
    "meanwhile") {
  Observed observed;
  std::function<void()> late_answer;
  {
    weir::Watchdog watchdog(2ms, {healthy_probe(observed), wedged_probe(observed)},
                            [&] { observed.count(&Observed::pings); });
    REQUIRE(observed.wait_until_at_least(&Observed::healthy_sends, 10));
    CHECK(observed.read(&Observed::pings) == 0);
    CHECK(observed.read(&Observed::wedged_sends) == 1);

    std::function<void()> answer;
    {
      std::lock_guard lock(observed.mutex);
      answer.swap(observed.wedged_answer);
    }
    answer();
    REQUIRE(observed.wait_until_at_least(&Observed::pings, 1));
    REQUIRE(observed.wait_until_at_least(&Observed::wedged_sends, 2));
    std::lock_guard lock(observed.mutex);
    late_answer = observed.wedged_answer;
  }
  // An answer arriving after the watchdog is gone touches only state it shares.
  REQUIRE(late_answer);
  late_answer();
}
