// weir: a Kafka-wire-protocol broker with its log in an embedded RocksDB.
#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "server/broker.h"
#include "server/config.h"
#include "server/log.h"
#include "storage/store.h"

namespace {

constexpr int exit_bad_configuration = 2;
constexpr int exit_start_failure = 1;

void print_help() {
  std::puts(
      "Usage: weir [--help]\n"
      "\n"
      "A Kafka-compatible broker storing its log in RocksDB. Settings come from the\n"
      "environment:\n"
      "  BIND_ADDRESS            host:port of the Kafka listener (default 0.0.0.0:9092)\n"
      "  ADVERTISED_ADDRESS      host:port clients are told to connect to (default: bind address)\n"
      "  STORAGE_PATH            data folder (default ./data)\n"
      "  MAX_REQUEST_BYTES       largest request frame (default 104857600)\n"
      "  NETWORK_THREADS         network threads, 0 = one per core (default 0)\n"
      "  BACKPRESSURE_THRESHOLD  queued requests per connection before reading pauses (default 1000)\n"
      "  NODE_ID                 broker id in Metadata (default 1)\n"
      "  AUTO_CREATE_TOPICS      create unknown topics on Metadata requests (default true)\n"
      "  DEFAULT_PARTITIONS      partitions of auto-created topics (default 1)\n"
      "  WEIR_LOG_LEVEL          debug, info, warn or error (default info)\n"
      "  DURABILITY              acks, always or interval: when writes are fsynced (default acks)\n"
      "  FLUSH_INTERVAL_MS       with DURABILITY=interval, most ms a write stays unsynced (default 1000)\n"
      "  TAIL_CACHE_BYTES        memory for recently written batches served to fetches (default 67108864)");
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view argument = argv[i];
    if (argument == "--help" || argument == "-h") {
      print_help();
      return 0;
    }
    std::fprintf(stderr, "weir: unknown argument '%s' (see --help)\n", argv[i]);
    return exit_bad_configuration;
  }

  weir::Config config;
  std::string error;
  if (!weir::load_config(&config, &error)) {
    std::fprintf(stderr, "weir: invalid configuration: %s\n", error.c_str());
    return exit_bad_configuration;
  }
  weir::log::Level level;
  weir::log::parse_level(config.log_level, &level);
  weir::log::set_level(level);

  const auto started = std::chrono::steady_clock::now();
  weir::storage::StoreOptions options;
  options.path = config.storage_path;
  options.durability_policy = config.durability == "always"     ? weir::storage::DurabilityPolicy::always
                              : config.durability == "interval" ? weir::storage::DurabilityPolicy::interval
                                                                : weir::storage::DurabilityPolicy::per_acks;
  options.flush_interval = std::chrono::milliseconds(config.flush_interval_ms);
  options.tail_cache_bytes = static_cast<std::size_t>(config.tail_cache_bytes);
  auto store = weir::storage::Store::open(options, &error);
  if (!store) {
    weir::log::error("cannot open storage at {}: {}", config.storage_path, error);
    return exit_start_failure;
  }
  weir::log::info("storage open at {} in {} ms (durability {})", config.storage_path,
                  std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count(),
                  config.durability);

  asio::io_context accept_context(1);
  std::unique_ptr<weir::Broker> broker;
  try {
    broker = std::make_unique<weir::Broker>(accept_context, config, *store);
  } catch (const std::system_error& bind_error) {
    weir::log::error("cannot listen on {}:{}: {}", config.bind_address.host, config.bind_address.port,
                     bind_error.what());
    return exit_start_failure;
  }
  broker->start();

  asio::signal_set signals(accept_context, SIGTERM, SIGINT);
  signals.async_wait([&](const asio::error_code& wait_error, int signal_number) {
    if (wait_error) return;
    weir::log::info("signal {} received, shutting down", signal_number);
    // Closing the acceptor aborts its pending accept, whose completion still holds a
    // socket of a network thread's io_context. run() returns only once that completion
    // has run, so the socket is gone before the broker destroys the network threads.
    broker->stop();
  });
  accept_context.run();
  broker.reset();
  store.reset();
  weir::log::info("stopped");
  return 0;
}
