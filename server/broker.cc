#include "server/broker.h"

#include <fmt/core.h>

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

groups::CoordinatorOptions group_options(const Config& config) {
  groups::CoordinatorOptions options;
  options.min_session_timeout_ms = config.group_min_session_timeout_ms;
  options.max_session_timeout_ms = config.group_max_session_timeout_ms;
  options.initial_rebalance_delay_ms = config.group_initial_rebalance_delay_ms;
  options.offsets_retention = std::chrono::minutes(config.offsets_retention_minutes);
  options.offsets_retention_check_interval =
      std::chrono::milliseconds(config.offsets_retention_check_interval_ms);
  return options;
}

}  // namespace

Broker::Broker(asio::io_context& accept_context, const Config& config, storage::Store& store,
               metrics::Registry& registry)
    : config_(config),
      store_(store),
      metrics_(registry, config.metrics_per_partition),
      services_{config, store, fetch_waiters_, groups_, metrics_},
      router_(services_),
      tls_config_(config),
      tls_services_{tls_config_, store, fetch_waiters_, groups_, metrics_},
      tls_router_(tls_services_),
      network_counters_(std::make_shared<NetworkCounters>()),
      admission_(Admission::create(admission_settings(config), network_counters_)),
      request_memory_budget_(RequestMemoryBudget::create(config.request_buffer_budget_bytes)),
      tls_context_(tls_context_if_configured(config)),
      threads_(config.network_threads),
      groups_(group_options(config), store),
      listener_(accept_context, threads_, config.bind_address, admission_,
                connection_services(router_), nullptr, connections_) {
  if (tls_context_) {
    tls_listener_ = std::make_unique<Listener>(accept_context, threads_, *config.tls_bind_address,
                                               admission_, connection_services(tls_router_),
                                               tls_context_.get(), connections_);
    if (config.tls_advertised_address)
      tls_config_.advertised_address = *config.tls_advertised_address;
    else
      tls_config_.advertised_address.port = tls_listener_->port();
  }
  add_network_metrics(registry);
  add_storage_metrics(registry);
  add_group_metrics(registry);
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
  groups_.start();
  threads_.start();
  listener_.start();
  log::event(log::Level::info, "listening",
             {{"address", fmt::format("{}:{}", config_.bind_address.host, listener_.port())},
              {"advertised", fmt::format("{}:{}", config_.advertised_address.host,
                                         config_.advertised_address.port)}});
  if (tls_listener_) {
    tls_listener_->start();
    log::event(
        log::Level::info, "listening for TLS",
        {{"address", fmt::format("{}:{}", config_.tls_bind_address->host, tls_listener_->port())},
         {"advertised", fmt::format("{}:{}", tls_config_.advertised_address.host,
                                    tls_config_.advertised_address.port)},
         {"client_certificates", config_.tls_require_client_cert ? "required" : "optional"}});
  }
}

void Broker::begin_shutdown() {
  listener_.stop();
  if (tls_listener_) tls_listener_->stop();
  // A long poll is in flight too: answer it now rather than let it hold up the drain
  // for its max_wait_ms.
  fetch_waiters_.answer_all_now();
  // Parked JoinGroup/SyncGroup requests would hold their connections open until the
  // timeout; answer them now, as Kafka does when a coordinator unloads its groups.
  groups_.post(
      [](groups::Coordinator& coordinator, groups::TimePoint) { coordinator.answer_parked(); });
  log::event(log::Level::info, "draining connections", {{"open_connections", connections_.size()}});
  connections_.post_to_each([](Connection& connection) { connection.drain(); });
}

std::size_t Broker::finish_shutdown(std::chrono::steady_clock::time_point deadline) {
  std::size_t cut_off = 0;
  if (!connections_.wait_until_empty(deadline)) {
    cut_off = connections_.size();
    log::event(log::Level::warn,
               "shutdown timeout reached, closing connections with requests in flight",
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
  if (tls_listener_) tls_listener_->stop();
  groups_.stop();
  threads_.stop();
  // Reads in flight post their answers to the network threads' io_contexts: let them
  // finish while those still exist.
  store_.wait_for_reads();
  // Waiting connections are referenced from the budget's queue; drop them while their
  // io_contexts still exist, and so that no later release posts a grant to one.
  request_memory_budget_->cancel_waiters();
  store_.set_append_listener({});
}

std::vector<LivenessProbe> Broker::liveness_probes() {
  std::vector<LivenessProbe> probes;
  int thread_number = 0;
  for (asio::io_context* context : threads_.contexts()) {
    probes.push_back(
        {fmt::format("network thread {}", thread_number++),
         [context](std::function<void()> answered) { asio::post(*context, std::move(answered)); }});
  }
  probes.push_back({"group coordinator", [this](std::function<void()> answered) {
                      groups_.post([answered = std::move(answered)](
                                       groups::Coordinator&, groups::TimePoint) { answered(); });
                    }});
  probes.push_back({"commit pipeline", [this](std::function<void()> answered) {
                      store_.probe_commit_pipeline(std::move(answered));
                    }});
  return probes;
}

}  // namespace weir
