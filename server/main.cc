// weir: a Kafka-wire-protocol broker with its log in an embedded RocksDB.
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <asio.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <string>

#include "metrics/http_endpoint.h"
#include "metrics/registry.h"
#include "server/broker.h"
#include "server/command_line.h"
#include "server/commit_metrics.h"
#include "server/config_loader.h"
#include "server/log.h"
#include "server/watchdog.h"
#include "storage/rocksdb_checksums.h"
#include "storage/store.h"

namespace {

constexpr int exit_bad_configuration = 2;
constexpr int exit_start_failure = 1;

// Written by the second-signal handler, which may only make async-signal-safe calls.
std::string second_signal_line;

extern "C" void exit_on_second_signal(int signal_number) {
  [[maybe_unused]] auto written =
      ::write(STDERR_FILENO, second_signal_line.data(), second_signal_line.size());
  ::_exit(128 + signal_number);
}

// After the first SIGTERM/SIGINT a second one ends the process at once, with exit
// code 128 + signal number, skipping the wait for in-flight requests.
void exit_at_once_on_next_signal() {
  second_signal_line =
      weir::log::format_line(weir::log::current_format(), weir::log::Level::warn,
                             weir::log::current_timestamp(), "second signal: exiting at once", {});
  second_signal_line += '\n';
  struct sigaction action {};
  action.sa_handler = exit_on_second_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

void apply_log_settings(const weir::Config& config) {
  weir::log::Level level = weir::log::Level::info;
  weir::log::parse_level(config.log_level, &level);
  weir::log::set_level(level);
  weir::log::set_format(config.log_format == weir::LogFormat::json ? weir::log::Format::json
                                                                   : weir::log::Format::text);
}

// What /health reports on, once it exists. The pointers are cleared before the broker
// and the store are destroyed, while the HTTP threads may still be answering.
struct ServingState {
  std::mutex mutex;
  const weir::Broker* broker = nullptr;
  const weir::storage::Store* store = nullptr;

  weir::metrics::HealthFacts facts() {
    std::lock_guard lock(mutex);
    weir::metrics::HealthFacts facts;
    if (broker != nullptr)
      facts.active_connections = static_cast<std::int64_t>(broker->open_connections());
    if (store != nullptr) {
      for (const auto& topic : store->list_topics()) {
        ++facts.topics;
        facts.partitions += topic.partition_count;
      }
    }
    return facts;
  }

  void set(const weir::Broker* serving_broker, const weir::storage::Store* serving_store) {
    std::lock_guard lock(mutex);
    broker = serving_broker;
    store = serving_store;
  }
};

}  // namespace

int main(int argc, char** argv) {
  weir::CommandLine command_line;
  std::string error;
  if (!weir::parse_command_line(argc, argv, &command_line, &error)) {
    std::fprintf(stderr, "weir: %s (see --help)\n", error.c_str());
    return exit_bad_configuration;
  }
  if (command_line.help) {
    std::fputs(weir::help_text().c_str(), stdout);
    return 0;
  }
  if (command_line.print_config_reference) {
    std::fputs(weir::config_reference_markdown().c_str(), stdout);
    return 0;
  }
  weir::LoadedConfig loaded;
  if (!weir::load_config(command_line.inputs, &loaded, &error)) {
    std::fprintf(stderr, "weir: invalid configuration: %s\n", error.c_str());
    return exit_bad_configuration;
  }
  if (command_line.print_config) {
    std::fputs(weir::effective_config_text(loaded).c_str(), stdout);
    return 0;
  }
  const weir::Config& config = loaded.config;
  apply_log_settings(config);

  weir::metrics::Registry metrics_registry;
  weir::metrics::add_process_metrics(metrics_registry);
  weir::metrics::Readiness readiness("storage is opening");
  ServingState serving;
  std::unique_ptr<weir::metrics::HttpEndpoint> metrics_endpoint;
  if (config.metrics_bind_address) {
    try {
      metrics_endpoint = std::make_unique<weir::metrics::HttpEndpoint>(
          config.metrics_bind_address->host, config.metrics_bind_address->port,
          weir::metrics::EndpointSources{metrics_registry, readiness,
                                         [&serving] { return serving.facts(); }, WEIR_VERSION});
    } catch (const std::runtime_error& listen_error) {
      weir::log::event(weir::log::Level::error, "cannot serve metrics",
                       {{"error", listen_error.what()}});
      return exit_start_failure;
    }
    weir::log::event(
        weir::log::Level::info, "serving metrics",
        {{"address", weir::config_values::format_host_port(*config.metrics_bind_address)}});
  }

  const auto started = std::chrono::steady_clock::now();
  weir::storage::StoreOptions options;
  options.path = config.storage_path;
  options.producer_id_expiration_ms = config.producer_id_expiration_ms;
  options.durability_policy =
      config.durability == "always"     ? weir::storage::DurabilityPolicy::always
      : config.durability == "interval" ? weir::storage::DurabilityPolicy::interval
                                        : weir::storage::DurabilityPolicy::per_acks;
  options.flush_interval = std::chrono::milliseconds(config.flush_interval_ms);
  options.tail_cache_bytes = static_cast<std::size_t>(config.tail_cache_bytes);
  options.retention_check_interval_ms = config.retention_check_interval_ms;
  weir::CommitMetrics commit_metrics(metrics_registry);  // outlives the store, which reports to it
  options.commit_observer = &commit_metrics;
  auto store = weir::storage::Store::open(options, &error);
  if (!store) {
    weir::log::event(weir::log::Level::error, "cannot open storage",
                     {{"path", config.storage_path}, {"error", error}});
    return exit_start_failure;
  }
  weir::log::event(weir::log::Level::info, "storage open",
                   {{"path", config.storage_path},
                    {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count()},
                    {"durability", config.durability},
                    {"checksums", weir::storage::rocksdb_checksum_implementation()}});

  readiness.set_not_ready("the Kafka listener is starting");

  asio::io_context accept_context(1);
  std::unique_ptr<weir::Broker> broker;
  try {
    broker = std::make_unique<weir::Broker>(accept_context, config, *store, metrics_registry);
  } catch (const std::system_error& bind_error) {
    weir::log::event(weir::log::Level::error, "cannot listen",
                     {{"address", weir::config_values::format_host_port(config.bind_address)},
                      {"error", bind_error.what()}});
    return exit_start_failure;
  } catch (const std::runtime_error& tls_error) {
    std::fprintf(stderr, "weir: invalid configuration: %s\n", tls_error.what());
    return exit_bad_configuration;
  }
  broker->start();
  serving.set(broker.get(), store.get());
  readiness.set_ready();
  // No-ops unless systemd started us with Type=notify.
  sd_notify(0, "READY=1");

  asio::signal_set signals(accept_context, SIGTERM, SIGINT);
  int stop_signal = 0;
  signals.async_wait([&](const asio::error_code& wait_error, int signal_number) {
    if (wait_error) return;
    stop_signal = signal_number;
    accept_context.stop();
  });
  // Pings only while the accept loop, every network thread, the group coordinator and the
  // commit pipeline answer: a broker wedged on a hung disk gets restarted by systemd.
  std::vector<weir::LivenessProbe> probes = broker->liveness_probes();
  probes.push_back({"accept loop", [&accept_context](std::function<void()> answered) {
                      asio::post(accept_context, std::move(answered));
                    }});
  std::unique_ptr<weir::Watchdog> watchdog = weir::start_systemd_watchdog(std::move(probes));
  accept_context.run();
  // systemd stops watching once told STOPPING=1; the probes must not outlive their threads.
  watchdog.reset();
  signals.clear();
  exit_at_once_on_next_signal();

  // Graceful shutdown: answer what was read, then close connections, then storage
  // (the Store destructor drains the commit pipeline, syncs the WAL and flushes the
  // memtables, so the next start replays nothing).
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config.shutdown_timeout_secs);
  weir::log::event(weir::log::Level::info, "shutting down",
                   {{"signal", stop_signal}, {"timeout_secs", config.shutdown_timeout_secs}});
  sd_notify(0, "STOPPING=1");
  readiness.set_not_ready("shutting down");
  broker->begin_shutdown();
  // Closing the acceptor aborted its pending accept, whose completion holds a socket of a
  // network thread's io_context: run it now, before the network threads are destroyed.
  accept_context.restart();
  accept_context.poll();
  std::size_t cut_off = broker->finish_shutdown(deadline);
  // Scrapes read the broker and the store: stop serving before either goes.
  serving.set(nullptr, nullptr);
  metrics_registry.drop_callbacks();
  metrics_endpoint.reset();
  // The store goes first: closing it completes appends still queued (from connections
  // cut off at the timeout) by posting to their network threads' io_contexts, which
  // must still exist, stopped, until the broker is destroyed.
  store.reset();
  broker.reset();
  weir::log::event(weir::log::Level::info, "stopped", {{"connections_cut_off", cut_off}});
  return 0;
}
