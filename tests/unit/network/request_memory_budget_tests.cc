#include <catch2/catch.hpp>
#include <vector>

#include "server/network/request_memory_budget.h"

namespace weir {
namespace {

// Runs posted grants on the calling thread, in the order they were posted.
struct Grants {
  asio::io_context context{1};
  std::vector<int> granted;

  std::function<void()> record(int id) {
    return [this, id] { granted.push_back(id); };
  }
  void run() {
    context.restart();
    context.poll();
  }
};

}  // namespace

TEST_CASE("reservations within the budget are granted at once") {
  auto budget = RequestMemoryBudget::create(100);
  Grants grants;
  CHECK(budget->acquire_or_wait(60, grants.context.get_executor(), grants.record(1)));
  CHECK(budget->acquire_or_wait(40, grants.context.get_executor(), grants.record(2)));
  CHECK(budget->in_use() == 100);
  CHECK_FALSE(budget->acquire_or_wait(1, grants.context.get_executor(), grants.record(3)));
  CHECK(budget->waiting() == 1);
}

TEST_CASE("waiters are granted in arrival order as bytes are released") {
  auto budget = RequestMemoryBudget::create(100);
  Grants grants;
  REQUIRE(budget->acquire_or_wait(100, grants.context.get_executor(), grants.record(0)));
  CHECK_FALSE(budget->acquire_or_wait(80, grants.context.get_executor(), grants.record(1)));
  // Fits in what is free after a small release, but must not overtake the large waiter.
  CHECK_FALSE(budget->acquire_or_wait(10, grants.context.get_executor(), grants.record(2)));
  budget->release(30);
  grants.run();
  CHECK(grants.granted.empty());
  budget->release(70);
  grants.run();
  CHECK(grants.granted == std::vector<int>{1, 2});
  CHECK(budget->in_use() == 90);
  CHECK(budget->waiting() == 0);
}

TEST_CASE("a reservation larger than the whole budget is granted once nothing else is held") {
  auto budget = RequestMemoryBudget::create(100);
  Grants grants;
  REQUIRE(budget->acquire_or_wait(10, grants.context.get_executor(), grants.record(0)));
  CHECK_FALSE(budget->acquire_or_wait(500, grants.context.get_executor(), grants.record(1)));
  budget->release(10);
  grants.run();
  CHECK(grants.granted == std::vector<int>{1});
  CHECK(budget->in_use() == 500);
}

TEST_CASE("a buffer gives its reservation back when its last reference goes") {
  auto budget = RequestMemoryBudget::create(100);
  Grants grants;
  REQUIRE(budget->acquire_or_wait(64, grants.context.get_executor(), grants.record(0)));
  auto buffer = budget->make_buffer(64);
  CHECK(buffer->size() == 64);
  auto second_reference = buffer;
  buffer.reset();
  CHECK(budget->in_use() == 64);
  second_reference.reset();
  CHECK(budget->in_use() == 0);
}

TEST_CASE("cancelled waiters are never granted") {
  auto budget = RequestMemoryBudget::create(10);
  Grants grants;
  REQUIRE(budget->acquire_or_wait(10, grants.context.get_executor(), grants.record(0)));
  CHECK_FALSE(budget->acquire_or_wait(5, grants.context.get_executor(), grants.record(1)));
  budget->cancel_waiters();
  budget->release(10);
  grants.run();
  CHECK(grants.granted.empty());
  CHECK(budget->in_use() == 0);
}

}  // namespace weir
