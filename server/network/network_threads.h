// N network threads, each running its own io_context. A connection is assigned to one
// thread at accept time and never moves, so per-connection state needs no locks.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace weir {

class NetworkThreads {
 public:
  explicit NetworkThreads(int count);
  ~NetworkThreads();
  NetworkThreads(const NetworkThreads&) = delete;
  NetworkThreads& operator=(const NetworkThreads&) = delete;

  void start();
  // Lets every io_context run out of work, then joins the threads.
  void stop();
  // Round-robin choice for a new connection.
  asio::io_context& next();
  std::vector<asio::io_context*> contexts();

 private:
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<WorkGuard> work_guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_index_{0};
};

}  // namespace weir
