#include "server/broker.h"

#include "server/log.h"

namespace weir {

Broker::Broker(asio::io_context& accept_context, const Config& config, storage::Store& store)
    : config_(config),
      store_(store),
      services_{config, store, fetch_waiters_},
      router_(services_),
      threads_(config.network_threads),
      listener_(accept_context, threads_, config.bind_address, router_,
                ConnectionLimits{config.max_request_bytes, config.backpressure_threshold}, connections_) {}

Broker::~Broker() { stop(); }

void Broker::start() {
  store_.set_append_listener([this] { fetch_waiters_.notify_appended(); });
  threads_.start();
  listener_.start();
  log::event(log::Level::info, "listening",
             {{"address", fmt::format("{}:{}", config_.bind_address.host, listener_.port())},
              {"advertised", fmt::format("{}:{}", config_.advertised_address.host, config_.advertised_address.port)}});
}

void Broker::begin_shutdown() {
  listener_.stop();
  // A long poll is in flight too: answer it now rather than let it hold up the drain
  // for its max_wait_ms.
  fetch_waiters_.answer_all_now();
  log::event(log::Level::info, "draining connections", {{"open_connections", connections_.size()}});
  connections_.post_to_each([](Connection& connection) { connection.drain(); });
}

std::size_t Broker::finish_shutdown(std::chrono::steady_clock::time_point deadline) {
  std::size_t cut_off = 0;
  if (!connections_.wait_until_empty(deadline)) {
    cut_off = connections_.size();
    log::event(log::Level::warn, "shutdown timeout reached, closing connections with requests in flight",
               {{"open_connections", cut_off}});
    connections_.post_to_each([](Connection& connection) { connection.close("shutdown timeout"); });
    // Closing is quick; a bounded wait lets the closes run before the threads stop.
    connections_.wait_until_empty(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  stop();
  return cut_off;
}

void Broker::stop() {
  if (stopped_) return;
  stopped_ = true;
  listener_.stop();
  threads_.stop();
  // Reads in flight post their answers to the network threads' io_contexts: let them
  // finish while those still exist.
  store_.wait_for_reads();
  store_.set_append_listener({});
}

}  // namespace weir
