// Series read at scrape time from counters the network layer and the commit pipeline
// already keep, so the hot paths count once and the exporter copies nothing.
#include "server/broker.h"

namespace weir {
namespace {

using Type = metrics::Registry::CallbackType;

void add_counter(metrics::Registry& registry, const std::shared_ptr<NetworkCounters>& counters,
                 const std::string& name, const std::string& help, const metrics::Labels& labels,
                 NetworkCounters::Counter NetworkCounters::*field) {
  registry.add_callback(name, help, Type::counter, labels, [counters, field] {
    return static_cast<double>(((*counters).*field).load(std::memory_order_relaxed));
  });
}

}  // namespace

void Broker::add_network_metrics(metrics::Registry& registry) {
  const auto& counters = network_counters_;
  add_counter(registry, counters, "weir_connections_accepted_total", "Connections admitted by the listeners.", {},
              &NetworkCounters::connections_accepted);
  const std::string rejected_help = "Connections refused at accept time, by reason.";
  add_counter(registry, counters, "weir_connections_rejected_total", rejected_help, {{"reason", "limit"}},
              &NetworkCounters::rejected_max_connections);
  add_counter(registry, counters, "weir_connections_rejected_total", rejected_help, {{"reason", "per_ip"}},
              &NetworkCounters::rejected_max_connections_per_ip);
  add_counter(registry, counters, "weir_connections_rejected_total", rejected_help, {{"reason", "rate"}},
              &NetworkCounters::rejected_rate_limited);
  add_counter(registry, counters, "weir_connections_rejected_total", rejected_help, {{"reason", "banned"}},
              &NetworkCounters::rejected_banned);
  registry.add_callback("weir_connections_active", "Connections open now.", Type::gauge, {}, [counters] {
    return static_cast<double>(counters->connections_open.load(std::memory_order_relaxed));
  });
  const std::string timeout_help = "Connections closed by a timeout, by which one.";
  add_counter(registry, counters, "weir_connection_timeouts_total", timeout_help, {{"reason", "idle"}},
              &NetworkCounters::closed_idle);
  add_counter(registry, counters, "weir_connection_timeouts_total", timeout_help, {{"reason", "partial_frame"}},
              &NetworkCounters::closed_partial_frame_timeout);
  add_counter(registry, counters, "weir_connection_timeouts_total", timeout_help, {{"reason", "request"}},
              &NetworkCounters::closed_request_timeout);
  const std::string backpressure_help = "Times a connection stopped reading requests, by the limit it reached.";
  add_counter(registry, counters, "weir_backpressure_events_total", backpressure_help,
              {{"reason", "pending_requests"}}, &NetworkCounters::paused_request_count);
  add_counter(registry, counters, "weir_backpressure_events_total", backpressure_help,
              {{"reason", "connection_bytes"}}, &NetworkCounters::paused_connection_bytes);
  add_counter(registry, counters, "weir_backpressure_events_total", backpressure_help,
              {{"reason", "global_memory"}}, &NetworkCounters::paused_global_memory);
  add_counter(registry, counters, "weir_tls_handshakes_total", "TLS handshakes completed.", {},
              &NetworkCounters::tls_handshakes_completed);
  add_counter(registry, counters, "weir_tls_handshake_failures_total", "TLS handshakes that failed.", {},
              &NetworkCounters::tls_handshake_failures);
  add_counter(registry, counters, "weir_received_bytes_total", "Kafka request bytes read from clients.", {},
              &NetworkCounters::bytes_received);
  add_counter(registry, counters, "weir_sent_bytes_total", "Kafka response bytes written to clients.", {},
              &NetworkCounters::bytes_sent);
  registry.add_callback("weir_request_memory_bytes",
                        "Bytes held in request buffers, out of REQUEST_BUFFER_BUDGET_BYTES.", Type::gauge, {},
                        [budget = request_memory_budget_] { return static_cast<double>(budget->in_use()); });
}

void Broker::add_storage_metrics(metrics::Registry& registry) {
  auto add_commit_counter = [&](const std::string& name, const std::string& help,
                                std::uint64_t storage::CommitStats::*field) {
    registry.add_callback(name, help, Type::counter, {},
                          [this, field] { return static_cast<double>(store_.commit_stats().*field); });
  };
  add_commit_counter("weir_commit_writes_total",
                     "RocksDB writes made by the commit pipeline; appends per write is the batch size.",
                     &storage::CommitStats::groups);
  add_commit_counter("weir_commit_appends_total", "Record batches committed by the commit pipeline.",
                     &storage::CommitStats::appends);
  add_commit_counter("weir_commit_bytes_total", "Record batch bytes committed by the commit pipeline.",
                     &storage::CommitStats::bytes);
  add_commit_counter("weir_commit_wal_syncs_total", "Commit pipeline writes that fsynced the WAL.",
                     &storage::CommitStats::synced_groups);
  add_commit_counter("weir_commit_failed_writes_total", "Commit pipeline writes that failed.",
                     &storage::CommitStats::failed_groups);
  add_commit_counter("weir_commit_interval_syncs_total", "WAL fsyncs made by the DURABILITY=interval timer.",
                     &storage::CommitStats::interval_syncs);
  add_commit_counter("weir_storage_resumes_total", "Recoveries of RocksDB after a failed write.",
                     &storage::CommitStats::resumes);
}

}  // namespace weir
