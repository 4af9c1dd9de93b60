#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

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
  bool wedged = true;
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

// While `wedged`, keeps its answer until the test gives it; answers at once after that.
weir::LivenessProbe wedged_probe(Observed& observed) {
  return {"wedged", [&observed](std::function<void()> answered) {
            bool wedged = false;
            {
              std::lock_guard lock(observed.mutex);
              wedged = observed.wedged;
              if (wedged) observed.wedged_answer = std::move(answered);
            }
            observed.count(&Observed::wedged_sends);
            if (!wedged) answered();
          }};
}

std::function<void()> take_wedged_answer(Observed& observed) {
  std::lock_guard lock(observed.mutex);
  observed.wedged = false;
  std::function<void()> answer;
  answer.swap(observed.wedged_answer);
  return answer;
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
  weir::Watchdog watchdog(2ms, {healthy_probe(observed), wedged_probe(observed)},
                          [&] { observed.count(&Observed::pings); });
  REQUIRE(observed.wait_until_at_least(&Observed::healthy_sends, 10));
  CHECK(observed.read(&Observed::pings) == 0);
  CHECK(observed.read(&Observed::wedged_sends) == 1);

  std::function<void()> answer = take_wedged_answer(observed);
  REQUIRE(answer);
  answer();
  REQUIRE(observed.wait_until_at_least(&Observed::pings, 1));
  CHECK(observed.wait_until_at_least(&Observed::wedged_sends, 2));
}

TEST_CASE("an answer arriving after the watchdog is gone touches only the state it shares") {
  Observed observed;
  std::optional<weir::Watchdog> watchdog;
  watchdog.emplace(2ms, std::vector<weir::LivenessProbe>{wedged_probe(observed)}, [] {});
  REQUIRE(observed.wait_until_at_least(&Observed::wedged_sends, 1));
  watchdog.reset();
  std::function<void()> answer = take_wedged_answer(observed);
  REQUIRE(answer);
  answer();  // ASan would report a use after free here
}
