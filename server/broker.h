// Wires the broker together: network threads, the Kafka listeners (plaintext, and TLS
// when configured), admission control, the request router and the storage it serves
// from. The accept loop and signal handling run on the caller's io_context;
// connections run on the network threads.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <memory>

#include "metrics/registry.h"
#include "server/broker_metrics.h"
#include "server/config.h"
#include "server/dispatch/router.h"
#include "server/groups/coordinator_thread.h"
#include "server/handlers/fetch_waiters.h"
#include "server/network/admission.h"
#include "server/network/connection_registry.h"
#include "server/network/listener.h"
#include "server/network/network_counters.h"
#include "server/network/network_threads.h"
#include "server/network/request_memory_budget.h"
#include "server/watchdog.h"
#include "storage/store.h"

namespace weir {

class Broker {
 public:
  // Binds the listeners; throws std::system_error when an address cannot be bound and
  // std::runtime_error (naming the setting) when the TLS files cannot be used.
  // Its metric series are created in `registry`, which must outlive the broker; the
  // network and commit pipeline series read the broker and the store at scrape time, so
  // scraping must stop before either is destroyed.
  Broker(asio::io_context& accept_context, const Config& config, storage::Store& store,
         metrics::Registry& registry);
  ~Broker();
  void start();
  // Graceful shutdown, in two steps so the caller can bound the wait. begin_shutdown
  // stops accepting and asks every connection to answer the requests it has read, then
  // close. finish_shutdown waits for that until `deadline`, closes what is left, and
  // stops the network threads; it returns how many connections had to be cut off.
  void begin_shutdown();
  std::size_t finish_shutdown(std::chrono::steady_clock::time_point deadline);
  void stop();
  std::uint16_t port() const { return listener_.port(); }
  std::size_t open_connections() const { return connections_.size(); }
  // For the metrics exporter: what the network layer refused, closed and paused, and the
  // bytes now held in request buffers out of REQUEST_BUFFER_BUDGET_BYTES.
  const NetworkCounters& network_counters() const { return *network_counters_; }
  std::int64_t request_memory_in_use() const { return request_memory_budget_->in_use(); }
  // For the systemd watchdog: one probe per network thread, the group coordinator thread
  // and the commit pipeline. Valid until begin_shutdown().
  std::vector<LivenessProbe> liveness_probes();

 private:
  ConnectionServices connection_services(RequestRouter& router) const;
  void add_network_metrics(metrics::Registry& registry);
  void add_storage_metrics(metrics::Registry& registry);
  void add_group_metrics(metrics::Registry& registry);

  const Config& config_;
  storage::Store& store_;
  FetchWaiters fetch_waiters_;
  BrokerMetrics metrics_;
  BrokerServices services_;
  Router router_;
  // Metadata tells a client the address of the listener it asked on, so TLS clients
  // are sent back to the TLS port: the TLS listener routes with its own copy of the
  // configuration whose advertised port is the TLS one.
  Config tls_config_;
  BrokerServices tls_services_;
  Router tls_router_;
  std::shared_ptr<NetworkCounters> network_counters_;
  std::shared_ptr<Admission> admission_;
  std::shared_ptr<RequestMemoryBudget> request_memory_budget_;
  std::unique_ptr<asio::ssl::context> tls_context_;
  NetworkThreads threads_;
  ConnectionRegistry connections_;
  // After threads_: destroyed first, so parked group replies (which hold connections)
  // go before the network threads they belong to.
  GroupCoordinatorThread groups_;
  Listener listener_;
  std::unique_ptr<Listener> tls_listener_;
  bool stopped_ = false;
};

}  // namespace weir
