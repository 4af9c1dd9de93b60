// Microbenchmark of Store::append through the commit pipeline: producer threads keep a
// bounded number of appends in flight, spread over a topic's partitions, and the run
// reports throughput, group sizes, completion latency and heap allocations per append.
//
//   weir_storage_bench --path DIR [--threads 4] [--partitions 8] [--appends 200000]
//                      [--batch-bytes 1024] [--inflight 64] [--durability written|synced|none]
//                      [--keep 1]
//
// DIR must not exist; it is removed afterwards unless --keep 1 (to read RocksDB's LOG).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.h"

namespace {

std::atomic<std::uint64_t> allocations{0};

}  // namespace

// Counts every allocation in the process (RocksDB's included): the measured phase
// divides it by the appends made.
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using Clock = std::chrono::steady_clock;
using weir::storage::AppendResult;
using weir::storage::Durability;
using weir::storage::Store;
using weir::storage::StorageErrc;

struct Settings {
  std::string path;
  int threads = 4;
  int partitions = 8;
  long appends = 200000;  // in total, over all threads
  std::size_t batch_bytes = 1024;
  int inflight = 64;  // per thread
  Durability durability = Durability::written;
  bool keep = false;
};

// One in-flight append: the callback captures only a pointer to it, which fits in
// std::function's inline storage.
struct Slot {
  std::counting_semaphore<>* window = nullptr;
  Clock::time_point started;
  std::int64_t latency_ns = 0;
  bool ok = false;
};

bool parse(int argc, char** argv, Settings* settings) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--path") settings->path = value;
    else if (key == "--threads") settings->threads = std::stoi(value);
    else if (key == "--partitions") settings->partitions = std::stoi(value);
    else if (key == "--appends") settings->appends = std::stol(value);
    else if (key == "--batch-bytes") settings->batch_bytes = std::stoul(value);
    else if (key == "--inflight") settings->inflight = std::stoi(value);
    else if (key == "--keep") settings->keep = value == "1";
    else if (key == "--durability") {
      if (value == "none") settings->durability = Durability::none;
      else if (value == "written") settings->durability = Durability::written;
      else if (value == "synced") settings->durability = Durability::synced;
      else return false;
    } else {
      return false;
    }
  }
  return !settings->path.empty() && settings->batch_bytes >= 61 && settings->threads > 0 &&
         settings->partitions > 0 && settings->inflight > 0;
}

// A batch with a plausible v2 header: one record, magic 2. Storage reads only the
// last offset delta and the max timestamp, which the caller passes alongside.
std::vector<std::byte> make_batch(std::size_t size) {
  std::vector<std::byte> batch(size, std::byte{0x5a});
  std::memset(batch.data(), 0, 61);
  batch[16] = std::byte{2};
  return batch;
}

// Runs `count` appends from each thread; returns the wall time in seconds.
double run(Store& store, const Settings& settings, long per_thread, std::vector<Slot>& slots,
           std::int64_t* timestamp) {
  std::vector<weir::storage::PartitionLog*> logs;
  for (int p = 0; p < settings.partitions; ++p) logs.push_back(store.partition("bench", p));
  const std::vector<std::byte> batch = make_batch(settings.batch_bytes);
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < settings.threads; ++t) {
    threads.emplace_back([&, t] {
      std::counting_semaphore<> window(settings.inflight);
      for (long i = 0; i < per_thread; ++i) {
        window.acquire();
        Slot* slot = &slots[static_cast<std::size_t>(t * per_thread + i)];
        slot->window = &window;
        slot->started = Clock::now();
        auto* log = logs[static_cast<std::size_t>((t + i) % settings.partitions)];
        store.append(log, batch, 0, (*timestamp)++, settings.durability, [slot](const AppendResult& result) {
          slot->ok = result.error == StorageErrc::ok;
          slot->latency_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - slot->started).count();
          slot->window->release();
        });
      }
      for (int i = 0; i < settings.inflight; ++i) window.acquire();  // wait for the tail
    });
  }
  for (auto& thread : threads) thread.join();
  return std::chrono::duration<double>(Clock::now() - started).count();
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  if (!parse(argc, argv, &settings)) {
    std::fprintf(stderr,
                 "usage: %s --path DIR [--threads N] [--partitions N] [--appends N] [--batch-bytes N] "
                 "[--inflight N] [--durability none|written|synced] [--keep 1]\n",
                 argv[0]);
    return 2;
  }
  if (std::filesystem::exists(settings.path)) {
    std::fprintf(stderr, "%s exists; give a path that does not\n", settings.path.c_str());
    return 2;
  }
  int exit_code = 0;
  {
    weir::storage::StoreOptions options;
    options.path = settings.path;
    std::string error;
    auto store = Store::open(options, &error);
    if (!store) {
      std::fprintf(stderr, "open: %s\n", error.c_str());
      return 1;
    }
    store->create_topic("bench", settings.partitions, {}, nullptr);

    const long per_thread = settings.appends / settings.threads;
    std::vector<Slot> slots(static_cast<std::size_t>(per_thread * settings.threads));
    std::int64_t timestamp = 0;  // racy across threads on purpose: any value will do
    // Warm-up: grows the pipeline's buffers and RocksDB's arenas to their working size.
    run(*store, settings, std::max(1L, per_thread / 10), slots, &timestamp);

    const auto stats_before = store->commit_stats();
    const auto allocations_before = allocations.load();
    const double seconds = run(*store, settings, per_thread, slots, &timestamp);
    const auto allocations_after = allocations.load();
    const auto stats = store->commit_stats();

    std::vector<std::int64_t> latencies;
    latencies.reserve(slots.size());
    long failed = 0;
    for (const auto& slot : slots) {
      latencies.push_back(slot.latency_ns);
      failed += slot.ok ? 0 : 1;
    }
    std::sort(latencies.begin(), latencies.end());
    auto percentile = [&](double q) {
      return static_cast<double>(latencies[static_cast<std::size_t>(q * static_cast<double>(latencies.size() - 1))]) / 1000.0;
    };
    const double appends = static_cast<double>(slots.size());
    const double groups = static_cast<double>(stats.groups - stats_before.groups);
    std::printf("threads=%d partitions=%d batch_bytes=%zu inflight=%d durability=%s appends=%zu\n", settings.threads,
                settings.partitions, settings.batch_bytes, settings.inflight,
                settings.durability == Durability::synced ? "synced"
                : settings.durability == Durability::written ? "written"
                                                              : "none",
                slots.size());
    std::printf("  %.0f appends/s, %.1f MB/s, %.0f groups (%.1f appends/group, %llu synced), failed=%ld\n",
                appends / seconds, appends * static_cast<double>(settings.batch_bytes) / seconds / 1e6, groups,
                appends / std::max(groups, 1.0),
                static_cast<unsigned long long>(stats.synced_groups - stats_before.synced_groups), failed);
    std::printf("  latency us: p50 %.1f p99 %.1f max %.1f\n", percentile(0.5), percentile(0.99), percentile(1.0));
    std::printf("  heap allocations per append, whole process: %.2f (the benchmark's batch copy is 1)\n",
                static_cast<double>(allocations_after - allocations_before) / appends);
    if (failed != 0) exit_code = 1;
  }
  if (!settings.keep) std::filesystem::remove_all(settings.path);
  return exit_code;
}
