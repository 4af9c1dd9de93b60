// Series read at scrape time from counters the network layer and the commit pipeline
// already keep, so the hot paths count once and the exporter copies nothing.
#include <chrono>
#include <mutex>

#include "protocol/generated/api_keys.h"
#include "server/broker.h"
#include "server/dispatch/api_table.h"

namespace weir {
namespace {

using Type = metrics::Registry::CallbackType;

// One reading of the store's disk use serves every storage series of a scrape: each
// series reads at most once a second, whatever order the exporter reads them in.
class UsageSampler {
 public:
  explicit UsageSampler(const storage::Store& store) : store_(store) {}
  storage::StorageUsage read() {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!read_at_ || now - *read_at_ >= std::chrono::seconds(1)) {
      usage_ = store_.usage();
      read_at_ = now;
    }
    return usage_;
  }

 private:
  const storage::Store& store_;
  std::mutex mutex_;
  std::optional<std::chrono::steady_clock::time_point> read_at_;  // guarded by mutex_
  storage::StorageUsage usage_;                                   // guarded by mutex_
};

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
  add_counter(registry, counters, "weir_connections_accepted_total",
              "Connections admitted by the listeners.", {}, &NetworkCounters::connections_accepted);
  const std::string rejected_help = "Connections refused at accept time, by reason.";
  add_counter(registry, counters, "weir_connections_rejected_total", rejected_help,
              {{"reason", "limit"}}, &NetworkCounters::rejected_max_connections);
  add_counter(registry, counters, "weir_connections_rejected_total", rejected_help,
              {{"reason", "per_ip"}}, &NetworkCounters::rejected_max_connections_per_ip);
  add_counter(registry, counters, "weir_connections_rejected_total", rejected_help,
              {{"reason", "rate"}}, &NetworkCounters::rejected_rate_limited);
  add_counter(registry, counters, "weir_connections_rejected_total", rejected_help,
              {{"reason", "banned"}}, &NetworkCounters::rejected_banned);
  registry.add_callback(
      "weir_connections_active", "Connections open now.", Type::gauge, {}, [counters] {
        return static_cast<double>(counters->connections_open.load(std::memory_order_relaxed));
      });
  const std::string timeout_help = "Connections closed by a timeout, by which one.";
  add_counter(registry, counters, "weir_connection_timeouts_total", timeout_help,
              {{"reason", "idle"}}, &NetworkCounters::closed_idle);
  add_counter(registry, counters, "weir_connection_timeouts_total", timeout_help,
              {{"reason", "partial_frame"}}, &NetworkCounters::closed_partial_frame_timeout);
  add_counter(registry, counters, "weir_connection_timeouts_total", timeout_help,
              {{"reason", "request"}}, &NetworkCounters::closed_request_timeout);
  const std::string backpressure_help =
      "Times a connection stopped reading requests, by the limit it reached.";
  add_counter(registry, counters, "weir_backpressure_events_total", backpressure_help,
              {{"reason", "pending_requests"}}, &NetworkCounters::paused_request_count);
  add_counter(registry, counters, "weir_backpressure_events_total", backpressure_help,
              {{"reason", "connection_bytes"}}, &NetworkCounters::paused_connection_bytes);
  add_counter(registry, counters, "weir_backpressure_events_total", backpressure_help,
              {{"reason", "global_memory"}}, &NetworkCounters::paused_global_memory);
  add_counter(registry, counters, "weir_tls_handshakes_total", "TLS handshakes completed.", {},
              &NetworkCounters::tls_handshakes_completed);
  add_counter(registry, counters, "weir_tls_handshake_failures_total",
              "TLS handshakes that failed.", {}, &NetworkCounters::tls_handshake_failures);
  add_counter(registry, counters, "weir_received_bytes_total",
              "Kafka request bytes read from clients.", {}, &NetworkCounters::bytes_received);
  add_counter(registry, counters, "weir_sent_bytes_total",
              "Kafka response bytes written to clients.", {}, &NetworkCounters::bytes_sent);
  registry.add_callback(
      "weir_requests_pending", "Requests read and not yet answered.", Type::gauge, {}, [counters] {
        return static_cast<double>(counters->requests_pending.load(std::memory_order_relaxed));
      });
  for (const ApiEntry& entry : served_apis()) {
    if (entry.api_key < 0 ||
        static_cast<std::size_t>(entry.api_key) >= NetworkCounters::api_key_slots)
      continue;
    registry.add_callback(
        "weir_request_timeouts_total",
        "Requests not answered within REQUEST_TIMEOUT_SECS (their connection is closed), by API.",
        Type::counter, {{"api", std::string(protocol::api_name(entry.api_key))}},
        [counters, slot = static_cast<std::size_t>(entry.api_key)] {
          return static_cast<double>(
              counters->request_timeouts_by_api[slot].load(std::memory_order_relaxed));
        });
  }
  const std::string frame_help = "Request frames that closed their connection, by reason.";
  add_counter(registry, counters, "weir_frame_errors_total", frame_help,
              {{"reason", "invalid_size"}}, &NetworkCounters::frame_invalid_size);
  add_counter(registry, counters, "weir_frame_errors_total", frame_help, {{"reason", "too_large"}},
              &NetworkCounters::frame_too_large);
  add_counter(registry, counters, "weir_frame_errors_total", frame_help,
              {{"reason", "malformed_header"}}, &NetworkCounters::frame_malformed_header);
  add_counter(registry, counters, "weir_frame_errors_total", frame_help,
              {{"reason", "unsupported_api"}}, &NetworkCounters::frame_unsupported_api);
  add_counter(registry, counters, "weir_frame_errors_total", frame_help,
              {{"reason", "unsupported_version"}}, &NetworkCounters::frame_unsupported_version);
  add_counter(registry, counters, "weir_frame_errors_total", frame_help,
              {{"reason", "malformed_body"}}, &NetworkCounters::frame_malformed_body);
  registry.add_callback(
      "weir_request_memory_bytes",
      "Bytes held in request buffers, out of REQUEST_BUFFER_BUDGET_BYTES.", Type::gauge, {},
      [budget = request_memory_budget_] { return static_cast<double>(budget->in_use()); });
}

void Broker::add_storage_metrics(metrics::Registry& registry) {
  auto add_commit_counter = [&](const std::string& name, const std::string& help,
                                std::uint64_t storage::CommitStats::*field) {
    registry.add_callback(name, help, Type::counter, {}, [this, field] {
      return static_cast<double>(store_.commit_stats().*field);
    });
  };
  add_commit_counter(
      "weir_commit_writes_total",
      "RocksDB writes made by the commit pipeline; appends per write is the batch size.",
      &storage::CommitStats::groups);
  add_commit_counter("weir_commit_appends_total",
                     "Record batches committed by the commit pipeline.",
                     &storage::CommitStats::appends);
  add_commit_counter("weir_commit_bytes_total",
                     "Record batch bytes committed by the commit pipeline.",
                     &storage::CommitStats::bytes);
  add_commit_counter("weir_commit_wal_syncs_total", "Commit pipeline writes that fsynced the WAL.",
                     &storage::CommitStats::synced_groups);
  add_commit_counter("weir_commit_failed_writes_total", "Commit pipeline writes that failed.",
                     &storage::CommitStats::failed_groups);
  add_commit_counter("weir_commit_interval_syncs_total",
                     "WAL fsyncs made by the DURABILITY=interval timer.",
                     &storage::CommitStats::interval_syncs);
  add_commit_counter("weir_storage_resumes_total", "Recoveries of RocksDB after a failed write.",
                     &storage::CommitStats::resumes);

  auto sampler = std::make_shared<UsageSampler>(store_);
  auto add_usage = [&](const std::string& name, const std::string& help, Type type,
                       const metrics::Labels& labels,
                       double (*pick)(const storage::StorageUsage&)) {
    registry.add_callback(name, help, type, labels,
                          [sampler, pick] { return pick(sampler->read()); });
  };
  const std::string disk_help = "Bytes the database takes on disk, by kind of file.";
  add_usage(
      "weir_storage_disk_bytes", disk_help, Type::gauge, {{"kind", "sst"}},
      [](const storage::StorageUsage& usage) { return static_cast<double>(usage.live_sst_bytes); });
  add_usage("weir_storage_disk_bytes", disk_help, Type::gauge, {{"kind", "blob"}},
            [](const storage::StorageUsage& usage) {
              return static_cast<double>(usage.live_blob_bytes);
            });
  add_usage(
      "weir_storage_disk_bytes", disk_help, Type::gauge, {{"kind", "wal"}},
      [](const storage::StorageUsage& usage) { return static_cast<double>(usage.wal_bytes); });
  add_usage("weir_storage_blob_garbage_bytes",
            "Bytes of deleted batches still in blob files, as RocksDB's compactions counted them.",
            Type::gauge, {}, [](const storage::StorageUsage& usage) {
              return static_cast<double>(usage.blob_garbage_bytes);
            });
  add_usage("weir_storage_blob_garbage_collections_total",
            "Collections of the oldest blob files, run when they were mostly garbage.",
            Type::counter, {}, [](const storage::StorageUsage& usage) {
              return static_cast<double>(usage.blob_garbage_collections);
            });
  add_usage("weir_storage_pending_compaction_bytes",
            "RocksDB's estimate of the bytes compaction has yet to rewrite.", Type::gauge, {},
            [](const storage::StorageUsage& usage) {
              return static_cast<double>(usage.pending_compaction_bytes);
            });
  add_usage("weir_storage_write_stall_seconds_total",
            "Time writes waited in RocksDB write stalls (slowed down or stopped) since start.",
            Type::counter, {}, [](const storage::StorageUsage& usage) {
              return static_cast<double>(usage.write_stall_micros) / 1e6;
            });
  add_usage("weir_storage_writes_stopped",
            "1 while RocksDB refuses writes until compaction catches up.", Type::gauge, {},
            [](const storage::StorageUsage& usage) { return usage.writes_stopped ? 1.0 : 0.0; });
  add_usage("weir_storage_delayed_write_rate_bytes",
            "Bytes per second RocksDB slows writes down to; 0 while writes are not delayed.",
            Type::gauge, {}, [](const storage::StorageUsage& usage) {
              return static_cast<double>(usage.delayed_write_rate);
            });
}

void Broker::add_group_metrics(metrics::Registry& registry) {
  const groups::GroupStats* stats = &groups_.group_stats();
  for (auto state : {groups::GroupState::empty, groups::GroupState::preparing_rebalance,
                     groups::GroupState::completing_rebalance, groups::GroupState::stable}) {
    registry.add_callback("weir_consumer_groups",
                          "Consumer groups the coordinator holds, by Kafka group state.",
                          Type::gauge, {{"state", std::string(groups::state_name(state))}},
                          [stats, state] { return static_cast<double>(stats->groups_in(state)); });
  }
  registry.add_callback("weir_consumer_group_rebalances_total",
                        "Rebalances completed: new generations handed to the members of a group.",
                        Type::counter, {},
                        [stats] { return static_cast<double>(stats->rebalances()); });
}

}  // namespace weir
