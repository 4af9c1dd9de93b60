#include "server/network/network_threads.h"

#include "server/log.h"

namespace weir {

NetworkThreads::NetworkThreads(int count) {
  if (count <= 0) count = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < count; ++i) {
    // Each io_context is driven by exactly one thread: tell Asio so it can skip locking.
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    work_guards_.push_back(asio::make_work_guard(*contexts_.back()));
  }
}

NetworkThreads::~NetworkThreads() { stop(); }

void NetworkThreads::start() {
  for (auto& context : contexts_) {
    threads_.emplace_back([&io = *context] {
      try {
        io.run();
      } catch (const std::exception& error) {
        log::error("network thread stopped by exception: {}", error.what());
        std::terminate();
      }
    });
  }
}

void NetworkThreads::stop() {
  work_guards_.clear();
  for (auto& context : contexts_) context->stop();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
  threads_.clear();
}

asio::io_context& NetworkThreads::next() {
  return *contexts_[next_index_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

std::vector<asio::io_context*> NetworkThreads::contexts() {
  std::vector<asio::io_context*> result;
  for (auto& context : contexts_) result.push_back(context.get());
  return result;
}

}  // namespace weir
