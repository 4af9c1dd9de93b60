#include "server/broker.h"

#include "server/log.h"
#include "server/network/tls_context.h"

namespace weir {
namespace {

AdmissionSettings admission_settings(const Config& config) {
  AdmissionSettings settings;
  settings.max_connections = config.max_connections;
  settings.max_connections_per_ip = config.max_connections_per_ip;
  settings.connection_rate_limit = config.connection_rate_limit;
  settings.ban_duration = std::chrono::seconds(config.rate_limit_ban_secs);
  settings.allow_list = config.connection_allow_list;
  return settings;
}

std::unique_ptr<asio::ssl::context> tls_context_if_configured(const Config& config) {
  if (!config.tls_bind_address) return nullptr;
  return make_tls_context(config);
}

}  // namespace

Broker::Broker(asio::io_context& accept_context, const Config& config, storage::Store& store)
    : config_(config),
      store_(store),
      services_{config, store, fetch_waiters_},
      router_(services_),
      tls_config_(config),
      tls_services_{tls_config_, store, fetch_waiters_},
      tls_router_(tls_services_),
      network_counters_(std::make_shared<NetworkCounters>()),
      admission_(Admission::create(admission_settings(config), network_counters_)),
      request_memory_budget_(RequestMemoryBudget::create(config.request_buffer_budget_bytes)),
      tls_context_(tls_context_if_configured(config)),
      threads_(config.network_threads),
      listener_(accept_context, threads_, config.bind_address, admission_, connection_services(router_), nullptr) {
  if (tls_context_) {
    tls_listener_ = std::make_unique<Listener>(accept_context, threads_, *config.tls_bind_address, admission_,
                                               connection_services(tls_router_), tls_context_.get());
    tls_config_.advertised_address.port = tls_listener_->port();
  }
}

Broker::~Broker() { stop(); }

ConnectionServices Broker::connection_services(RequestRouter& router) const {
  ConnectionLimits limits;
  limits.max_request_bytes = config_.max_request_bytes;
  limits.max_pending_requests = config_.backpressure_threshold;
  limits.max_pending_request_bytes = config_.backpressure_threshold_bytes;
  limits.idle_timeout = std::chrono::seconds(config_.idle_timeout_secs);
  limits.request_timeout = std::chrono::seconds(config_.request_timeout_secs);
  return ConnectionServices{router, limits, request_memory_budget_, network_counters_};
}

void Broker::start() {
  store_.set_append_listener([this] { fetch_waiters_.notify_appended(); });
  threads_.start();
  listener_.start();
  log::info("listening on {}:{} advertised as {}:{}", config_.bind_address.host, listener_.port(),
            config_.advertised_address.host, config_.advertised_address.port);
  if (tls_listener_) {
    tls_listener_->start();
    log::info("listening for TLS on {}:{} advertised as {}:{}{}", config_.tls_bind_address->host,
              tls_listener_->port(), tls_config_.advertised_address.host, tls_config_.advertised_address.port,
              config_.tls_require_client_cert ? " (client certificates required)" : "");
  }
}

void Broker::stop() {
  if (stopped_) return;
  stopped_ = true;
  listener_.stop();
  if (tls_listener_) tls_listener_->stop();
  threads_.stop();
  // Waiting connections are referenced from the budget's queue; drop them while their
  // io_contexts still exist, and so that no later release posts a grant to one.
  request_memory_budget_->cancel_waiters();
  store_.set_append_listener({});
}

}  // namespace weir
