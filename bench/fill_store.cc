// Fills a data folder for W7 (restart with a large log) straight through the Store API,
// unsynced and with many appends in flight, much faster than producing through a broker:
//
//   weir-fill-store --path DIR [--topic restart] [--partitions 1000] [--megabytes 10240]
//                   [--batch-bytes 65536] [--inflight 64]
//
// Every batch is a valid uncompressed v2 batch of one record (a CRC a consumer accepts),
// appended round-robin over the partitions, so each partition holds the same number of
// batches. Prints `batches_per_partition=N last_offset=N-1` on stdout: the offset of
// every partition's last batch, which the restart probe fetches.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <semaphore>
#include <string>
#include <vector>

#include "protocol/records/record_batch.h"
#include "storage/store.h"

namespace {

using weir::storage::AppendResult;
using weir::storage::Durability;
using weir::storage::StorageErrc;
using weir::storage::Store;

struct Settings {
  std::string path;
  std::string topic = "restart";
  int partitions = 1000;
  std::size_t megabytes = 10240;
  std::size_t batch_bytes = 64 << 10;
  int inflight = 64;
};

// One record whose value fills the batch to about `batch_bytes`.
std::vector<std::byte> make_batch(std::size_t batch_bytes) {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  weir::protocol::records::RecordBatchBuilder builder;
  builder.add({std::nullopt, weir::protocol::Bytes(batch_bytes - 128, std::byte{'w'}), {}, now_ms});
  return builder.build();
}

}  // namespace

int main(int argc, char** argv) {
  const auto not_empty = [](const std::string& value) {
    return std::string(value.empty() ? "must not be empty" : "");
  };
  Settings settings;
  CLI::App app{"Fills a data folder through the Store API"};
  app.add_option("--path", settings.path, "data folder")->required()->check(not_empty);
  app.add_option("--topic", settings.topic, "topic created and filled")->capture_default_str();
  app.add_option("--partitions", settings.partitions, "partitions of the topic")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--megabytes", settings.megabytes, "megabytes appended")->capture_default_str();
  app.add_option("--batch-bytes", settings.batch_bytes, "bytes per record batch")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{129}, std::numeric_limits<std::size_t>::max()));
  app.add_option("--inflight", settings.inflight, "appends in flight")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  weir::storage::StoreOptions options;
  options.path = settings.path;
  options.tail_cache_bytes = 0;  // nothing reads while filling
  std::string error;
  auto store = Store::open(options, &error);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", error.c_str());
    return 1;
  }
  const auto created = store->create_topic(settings.topic, settings.partitions, {}, nullptr);
  if (created != StorageErrc::ok) {
    std::fprintf(stderr, "cannot create topic %s (is the folder empty?)\n", settings.topic.c_str());
    return 1;
  }
  std::vector<weir::storage::PartitionLog*> logs;
  for (int p = 0; p < settings.partitions; ++p) logs.push_back(store->partition(settings.topic, p));

  const std::vector<std::byte> batch = make_batch(settings.batch_bytes);
  const std::size_t total_batches =
      std::max<std::size_t>(1, (settings.megabytes << 20) / batch.size());
  const std::size_t per_partition = std::max<std::size_t>(1, total_batches / logs.size());
  const std::size_t appends = per_partition * logs.size();
  const std::int64_t max_timestamp = weir::protocol::records::parse_header(batch)->max_timestamp;

  std::counting_semaphore<> window(settings.inflight);
  std::atomic<long> failed{0};
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < appends; ++i) {
    window.acquire();
    store->append(logs[i % logs.size()], batch, 0, max_timestamp, Durability::none,
                  [&window, &failed](const AppendResult& result) {
                    if (result.error != StorageErrc::ok || result.duplicate) failed.fetch_add(1);
                    window.release();
                  });
    if (i % 16384 == 0 && i > 0) std::fprintf(stderr, "fill: %zu of %zu batches\n", i, appends);
  }
  for (int i = 0; i < settings.inflight; ++i) window.acquire();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  store.reset();  // flushes the memtables, so the restart replays no large WAL
  std::fprintf(stderr, "fill: %zu batches of %zu bytes (%.0f MB) in %.1f s, %ld failed\n", appends,
               batch.size(), static_cast<double>(appends * batch.size()) / 1e6, seconds,
               failed.load());
  std::printf("batches_per_partition=%zu last_offset=%zu\n", per_partition, per_partition - 1);
  return failed.load() == 0 ? 0 : 1;
}
