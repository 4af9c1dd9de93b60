#include "server/broker.h"

#include "server/log.h"

namespace weir {
namespace {

groups::CoordinatorOptions group_options(const Config& config) {
  groups::CoordinatorOptions options;
  options.min_session_timeout_ms = config.group_min_session_timeout_ms;
  options.max_session_timeout_ms = config.group_max_session_timeout_ms;
  options.initial_rebalance_delay_ms = config.group_initial_rebalance_delay_ms;
  return options;
}

}  // namespace

Broker::Broker(asio::io_context& accept_context, const Config& config, storage::Store& store)
    : config_(config),
      store_(store),
      services_{config, store, fetch_waiters_, groups_},
      router_(services_),
      threads_(config.network_threads),
      groups_(group_options(config), store),
      listener_(accept_context, threads_, config.bind_address, router_,
                ConnectionLimits{config.max_request_bytes, config.backpressure_threshold}) {}

Broker::~Broker() { stop(); }

void Broker::start() {
  store_.set_append_listener([this] { fetch_waiters_.notify_appended(); });
  groups_.start();
  threads_.start();
  listener_.start();
  log::info("listening on {}:{} advertised as {}:{}", config_.bind_address.host, listener_.port(),
            config_.advertised_address.host, config_.advertised_address.port);
}

void Broker::stop() {
  if (stopped_) return;
  stopped_ = true;
  listener_.stop();
  groups_.stop();
  threads_.stop();
  // Reads in flight post their answers to the network threads' io_contexts: let them
  // finish while those still exist.
  store_.wait_for_reads();
  store_.set_append_listener({});
}

}  // namespace weir
