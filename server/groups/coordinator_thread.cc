#include "server/groups/coordinator_thread.h"

#include <stdexcept>

namespace weir {

GroupCoordinatorThread::GroupCoordinatorThread(groups::CoordinatorOptions options,
                                               storage::Store& store)
    : work_guard_(asio::make_work_guard(io_context_)),
      timer_(io_context_),
      coordinator_(options, &store) {}

GroupCoordinatorThread::~GroupCoordinatorThread() { stop(); }

void GroupCoordinatorThread::start() {
  std::string error;
  if (!coordinator_.load(groups::Clock::now(), &error)) throw std::runtime_error(error);
  thread_ = std::thread([this] { io_context_.run(); });
  post([](groups::Coordinator&, groups::TimePoint) {});  // arms the timer for loaded members
}

void GroupCoordinatorThread::stop() {
  if (!thread_.joinable()) return;
  work_guard_.reset();
  io_context_.stop();
  thread_.join();
}

void GroupCoordinatorThread::post(Work work) {
  asio::post(io_context_, [this, work = std::move(work)] {
    work(coordinator_, groups::Clock::now());
    rearm_timer();
  });
}

void GroupCoordinatorThread::rearm_timer() {
  auto deadline = coordinator_.next_deadline();
  if (!deadline) {
    timer_.cancel();
    timer_armed_ = false;
    return;
  }
  if (timer_armed_ && timer_.expiry() == *deadline) return;
  timer_.expires_at(*deadline);  // cancels a wait for an older deadline
  timer_armed_ = true;
  timer_.async_wait([this](const asio::error_code& error) {
    if (error) return;
    timer_armed_ = false;
    coordinator_.advance_to(groups::Clock::now());
    rearm_timer();
  });
}

}  // namespace weir
