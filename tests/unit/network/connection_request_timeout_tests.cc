// The connection's own request clock: a request its router never answers closes the
// connection after REQUEST_TIMEOUT_SECS and is counted under its API. No handler of the
// broker leaves a request unanswered that long (fetch long polls are capped below it,
// JoinGroup is exempt), so only a router that holds the request can show this path.
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>

#include "server/network/connection.h"
#include "server/network/network_counters.h"
#include "server/network/request_memory_budget.h"

namespace weir {
namespace {

class RouterThatNeverAnswers : public RequestRouter {
 public:
  void route(std::shared_ptr<const protocol::FrameBuffer>, asio::any_io_executor, std::string_view,
             ReplyCallback done) override {
    held_.push_back(std::move(done));
  }
  std::size_t held() const { return held_.size(); }

 private:
  std::vector<ReplyCallback> held_;
};

// A size-prefixed frame whose header names Metadata (key 3) v1, correlation id 7.
std::array<unsigned char, 14> metadata_frame() {
  return {0, 0, 0, 10, 0, 3, 0, 1, 0, 0, 0, 7, 0xff, 0xff};
}

}  // namespace

TEST_CASE(
    "a request left unanswered past the request timeout closes its connection and is counted") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  asio::ip::tcp::socket server_side = acceptor.accept();

  RouterThatNeverAnswers router;
  auto counters = std::make_shared<NetworkCounters>();
  ConnectionLimits limits;
  limits.request_timeout = std::chrono::seconds(1);
  limits.idle_timeout = std::chrono::seconds(60);
  ConnectionServices services{router, limits, RequestMemoryBudget::create(1 << 20), counters};
  auto connection = std::make_shared<BasicConnection<PlaintextStream>>(std::move(server_side),
                                                                       ConnectionSlot{}, services);
  connection->start();

  const auto frame = metadata_frame();
  asio::write(client, asio::buffer(frame));
  std::array<char, 16> discard{};
  asio::error_code read_error;
  bool closed = false;
  client.async_read_some(asio::buffer(discard), [&](asio::error_code error, std::size_t) {
    read_error = error;
    closed = true;
  });
  const auto started = std::chrono::steady_clock::now();
  io.run_for(std::chrono::seconds(10));
  const auto waited = std::chrono::steady_clock::now() - started;

  REQUIRE(closed);
  CHECK(read_error == asio::error::eof);
  CHECK(router.held() == 1);
  CHECK(waited >= std::chrono::milliseconds(900));
  CHECK(counters->closed_request_timeout.load() == 1);
  CHECK(counters->request_timeouts_by_api[3].load() == 1);
  CHECK(counters->closed_idle.load() == 0);
}

}  // namespace weir
