// Tailing reads with and without the tail cache (docs/benchmarks.md has the numbers):
//
//   weir_fetch_bench --path DIR [--batch-bytes 16384] [--megabytes 256] [--partitions 8]
//                    [--max-bytes 1048576] [--cache-bytes 67108864] [--repeat 3]
//
// A producer thread appends --megabytes of batches round-robin over --partitions through
// the commit pipeline while a consumer thread tails every partition with Store::read
// (fetch max_bytes --max-bytes), as a consumer that keeps up does. The run is made with
// the cache at --cache-bytes and at 0; the consumer's time inside read() per MB and the
// latency of one read() are printed for both. The best of --repeat runs counts.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.h"

namespace {

using Clock = std::chrono::steady_clock;
using weir::storage::AppendResult;
using weir::storage::Durability;
using weir::storage::Store;

struct Settings {
  std::string path;
  std::size_t batch_bytes = 16 << 10;
  std::size_t megabytes = 256;
  int partitions = 8;
  std::int32_t max_bytes = 1 << 20;
  std::size_t cache_bytes = 64 << 20;
  int repeat = 3;
};

struct Outcome {
  double read_seconds = 0;  // consumer time inside Store::read
  double wall_seconds = 0;
  std::size_t reads = 0;
  std::size_t bytes = 0;
  double p50_us = 0;
  double p99_us = 0;
};

Outcome run(const Settings& settings, std::size_t cache_bytes) {
  std::filesystem::remove_all(settings.path);
  weir::storage::StoreOptions options;
  options.path = settings.path;
  options.tail_cache_bytes = cache_bytes;
  std::string error;
  auto store = Store::open(options, &error);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", error.c_str());
    std::exit(1);
  }
  store->create_topic("bench", settings.partitions, {}, nullptr);
  std::vector<weir::storage::PartitionLog*> logs;
  for (int p = 0; p < settings.partitions; ++p) logs.push_back(store->partition("bench", p));
  const std::size_t total = settings.megabytes * (1 << 20) / settings.batch_bytes;
  std::vector<std::byte> batch(settings.batch_bytes, std::byte{0x5a});
  std::memset(batch.data(), 0, 61);
  batch[16] = std::byte{2};

  std::atomic<bool> producing{true};
  const auto started = Clock::now();
  std::thread producer([&] {
    std::counting_semaphore<> window(64);
    for (std::size_t i = 0; i < total; ++i) {
      window.acquire();
      store->append(logs[i % logs.size()], batch, 0, 0, Durability::written,
                    [&window](const AppendResult&) { window.release(); });
    }
    for (int i = 0; i < 64; ++i) window.acquire();
    producing = false;
  });

  Outcome outcome;
  std::vector<double> latencies;
  std::vector<std::int64_t> next(logs.size(), 0);
  const auto consumed = [&] {
    for (std::size_t p = 0; p < logs.size(); ++p)
      if (next[p] < logs[p]->high_watermark()) return false;
    return true;
  };
  while (producing || !consumed()) {
    bool read_any = false;
    for (std::size_t p = 0; p < logs.size(); ++p) {
      if (next[p] >= logs[p]->high_watermark()) continue;
      const auto before = Clock::now();
      auto result = store->read(logs[p], next[p], settings.max_bytes);
      const double seconds = std::chrono::duration<double>(Clock::now() - before).count();
      outcome.read_seconds += seconds;
      latencies.push_back(seconds * 1e6);
      ++outcome.reads;
      outcome.bytes += result.records.size();
      // Every batch holds one record, so the offsets advance by the batches read.
      next[p] += static_cast<std::int64_t>(result.records.size() / settings.batch_bytes);
      read_any = true;
    }
    if (!read_any) std::this_thread::yield();
  }
  producer.join();
  outcome.wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    outcome.p50_us = latencies[latencies.size() / 2];
    outcome.p99_us = latencies[latencies.size() * 99 / 100];
  }
  store.reset();
  std::filesystem::remove_all(settings.path);
  return outcome;
}

Outcome best_of(const Settings& settings, std::size_t cache_bytes) {
  Outcome best;
  for (int r = 0; r < settings.repeat; ++r) {
    Outcome outcome = run(settings, cache_bytes);
    if (best.reads == 0 || outcome.read_seconds / static_cast<double>(outcome.bytes) <
                               best.read_seconds / static_cast<double>(best.bytes))
      best = outcome;
  }
  return best;
}

void print(const char* name, const Outcome& outcome) {
  const double megabytes = static_cast<double>(outcome.bytes) / 1e6;
  std::printf(
      "  %-9s read %7.0f MB/s of read() time, %6zu reads, %.1f KB/read, read() p50 %.1f us p99 "
      "%.1f us, "
      "wall %.2f s\n",
      name, megabytes / outcome.read_seconds, outcome.reads,
      static_cast<double>(outcome.bytes) / 1e3 / static_cast<double>(outcome.reads), outcome.p50_us,
      outcome.p99_us, outcome.wall_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const auto not_empty = [](const std::string& value) {
    return std::string(value.empty() ? "must not be empty" : "");
  };
  Settings settings;
  CLI::App app{"Tailing reads with and without the tail cache"};
  app.add_option("--path", settings.path, "fresh data folder (must not exist)")
      ->required()
      ->check(not_empty);
  app.add_option("--batch-bytes", settings.batch_bytes, "bytes per record batch")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{61}, std::numeric_limits<std::size_t>::max()));
  app.add_option("--megabytes", settings.megabytes, "megabytes appended")->capture_default_str();
  app.add_option("--partitions", settings.partitions, "partitions appended to and tailed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-bytes", settings.max_bytes, "fetch max_bytes of one read")
      ->capture_default_str();
  app.add_option("--cache-bytes", settings.cache_bytes, "tail cache size of the cached run")
      ->capture_default_str();
  app.add_option("--repeat", settings.repeat, "runs; the best counts")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  if (std::filesystem::exists(settings.path)) {
    std::fprintf(stderr, "%s exists; give a path that does not\n", settings.path.c_str());
    return 2;
  }
  const Outcome cached = best_of(settings, settings.cache_bytes);
  const Outcome uncached = best_of(settings, 0);
  std::printf(
      "batch_bytes=%zu megabytes=%zu partitions=%d max_bytes=%d cache_bytes=%zu repeat=%d\n",
      settings.batch_bytes, settings.megabytes, settings.partitions, settings.max_bytes,
      settings.cache_bytes, settings.repeat);
  print("cache", cached);
  print("no cache", uncached);
  const double cached_rate = static_cast<double>(cached.bytes) / cached.read_seconds;
  const double uncached_rate = static_cast<double>(uncached.bytes) / uncached.read_seconds;
  std::printf("  cache/no cache read rate %.2f\n", cached_rate / uncached_rate);
  return 0;
}
