// Append throughput of the commit pipeline beside raw RocksDB writes of the same batches,
// with the same options, in the same run (docs/benchmarks.md has the numbers):
//
//   weir_append_bench --path DIR [--batch-bytes 16384] [--megabytes 256] [--threads 4]
//                     [--partitions 8] [--inflight 16] [--sync 0|1] [--repeat 3]
//                     [--min-blob-bytes 4096] [--write-buffer-bytes 67108864]
//
// Pipeline: --threads producers keep --inflight appends each in flight through
// Store::append (Durability::synced with --sync 1, written otherwise) over --partitions.
// Raw: one thread writes the same batches with DB::Write into a fresh database opened
// with Weir's options. Unsynced, one Put per write. Synced, each write is a WriteBatch of
// as many batches as the pipeline's groups averaged per fsync, so both make the same
// number of fsyncs per byte. Each side runs --repeat times on a fresh DIR; the best run
// counts (the machine is shared, and the best run is the least disturbed one); the sides
// alternate. Batches are built before the clock starts on both sides.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

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

#include "storage/db_options.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace {

using Clock = std::chrono::steady_clock;
using weir::storage::AppendResult;
using weir::storage::Durability;
using weir::storage::StorageErrc;
using weir::storage::Store;
namespace keys = weir::storage::keys;

struct Settings {
  std::string path;
  std::size_t batch_bytes = 16 << 10;
  std::size_t megabytes = 256;
  int threads = 4;
  int partitions = 8;
  int inflight = 16;
  bool sync = false;
  int repeat = 3;
  std::size_t min_blob_bytes = weir::storage::StoreOptions().min_blob_bytes;
  std::size_t write_buffer_bytes = weir::storage::StoreOptions().write_buffer_bytes;
};

struct Outcome {
  double seconds = 0;
  double disk_bytes_per_byte =
      0;  // bytes this process wrote to disk (WAL, flushes, compactions) per byte appended
  double bytes_per_sync = 0;  // 0 when nothing was synced
  long failed = 0;
};

// write_bytes of /proc/self/io: what this process (RocksDB's threads included) sent to disk.
std::uint64_t process_disk_writes() {
  std::FILE* io = std::fopen("/proc/self/io", "r");
  if (io == nullptr) return 0;
  char line[128];
  std::uint64_t bytes = 0;
  while (std::fgets(line, sizeof line, io) != nullptr)
    if (std::sscanf(line, "write_bytes: %lu", &bytes) == 1) break;
  std::fclose(io);
  return bytes;
}

std::size_t batch_count(const Settings& settings) {
  return std::max<std::size_t>(1, settings.megabytes * (1 << 20) / settings.batch_bytes);
}

// A batch with a v2 header storage accepts: one record (last offset delta 0), magic 2, and
// no producer id (-1, with epoch and base sequence -1 as Kafka's clients write them). A
// producer id of 0 would make it an idempotent batch: every batch after the first of a
// partition repeats sequence 0 and is answered as a duplicate without being written.
std::vector<std::byte> make_batch(std::size_t size) {
  std::vector<std::byte> batch(size, std::byte{0x5a});
  std::memset(batch.data(), 0, keys::batch::header_size);
  batch[16] = std::byte{2};
  std::memset(batch.data() + keys::batch::producer_id_at, 0xff, 8 + 2 + 4);  // id, epoch, sequence
  return batch;
}

weir::storage::StoreOptions store_options(const Settings& settings) {
  weir::storage::StoreOptions options;
  options.path = settings.path;
  options.min_blob_bytes = settings.min_blob_bytes;
  options.write_buffer_bytes = settings.write_buffer_bytes;
  return options;
}

Outcome run_pipeline(const Settings& settings) {
  std::string error;
  auto store = Store::open(store_options(settings), &error);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", error.c_str());
    std::exit(1);
  }
  store->create_topic("bench", settings.partitions, {}, nullptr);
  std::vector<weir::storage::PartitionLog*> logs;
  for (int p = 0; p < settings.partitions; ++p) logs.push_back(store->partition("bench", p));
  const Durability durability = settings.sync ? Durability::synced : Durability::written;
  const std::size_t per_thread = batch_count(settings) / static_cast<std::size_t>(settings.threads);
  std::atomic<long> failed{0};
  // Made before the clock starts: the raw side writes from one buffer, so neither side
  // pays for building batches.
  std::vector<std::vector<std::byte>> batches(
      per_thread * static_cast<std::size_t>(settings.threads), make_batch(settings.batch_bytes));

  const auto disk_before = process_disk_writes();
  const auto stats_before = store->commit_stats();
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < settings.threads; ++t) {
    threads.emplace_back([&, t] {
      std::counting_semaphore<> window(settings.inflight);
      for (std::size_t i = 0; i < per_thread; ++i) {
        window.acquire();
        auto* log = logs[(static_cast<std::size_t>(t) + i) % logs.size()];
        store->append(log, std::move(batches[static_cast<std::size_t>(t) * per_thread + i]), 0, 0,
                      durability, [&window, &failed](const AppendResult& result) {
                        // A duplicate wrote nothing: counting it as done would
                        // measure an append that never reached the disk.
                        if (result.error != StorageErrc::ok || result.duplicate)
                          failed.fetch_add(1);
                        window.release();
                      });
      }
      for (int i = 0; i < settings.inflight; ++i) window.acquire();
    });
  }
  for (auto& thread : threads) thread.join();
  Outcome outcome;
  outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const auto stats = store->commit_stats();
  const auto syncs = stats.synced_groups - stats_before.synced_groups;
  if (syncs > 0)
    outcome.bytes_per_sync =
        static_cast<double>(stats.bytes - stats_before.bytes) / static_cast<double>(syncs);
  outcome.failed = failed.load();
  const auto appended = static_cast<long>(stats.appends - stats_before.appends);
  const auto submitted = static_cast<long>(per_thread * static_cast<std::size_t>(settings.threads));
  if (appended != submitted) {
    std::fprintf(stderr, "pipeline: %ld of %ld batches were stored\n", appended, submitted);
    outcome.failed = std::max(outcome.failed, submitted - appended);
  }
  store.reset();  // flushes the memtables; compactions still running are waited for
  outcome.disk_bytes_per_byte =
      static_cast<double>(process_disk_writes() - disk_before) /
      static_cast<double>(per_thread * static_cast<std::size_t>(settings.threads) *
                          settings.batch_bytes);
  return outcome;
}

// `batches_per_write` batches go into each DB::Write (synced when settings.sync).
Outcome run_raw(const Settings& settings, std::size_t batches_per_write) {
  const auto options = store_options(settings);
  auto columns = weir::storage::make_column_families(options);
  columns.emplace_back(rocksdb::kDefaultColumnFamilyName, columns[1].options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::filesystem::create_directories(settings.path);
  rocksdb::DB* raw = nullptr;
  const auto status = rocksdb::DB::Open(weir::storage::make_db_options(options), settings.path,
                                        columns, &handles, &raw);
  if (!status.ok()) {
    std::fprintf(stderr, "open: %s\n", status.ToString().c_str());
    std::exit(1);
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  const std::vector<std::byte> batch = make_batch(settings.batch_bytes);
  const rocksdb::Slice value(reinterpret_cast<const char*>(batch.data()), batch.size());
  rocksdb::WriteOptions write_options;
  write_options.sync = settings.sync;
  std::vector<std::uint64_t> next_offset(static_cast<std::size_t>(settings.partitions), 0);
  const std::size_t total = batch_count(settings);
  Outcome outcome;

  const auto started = Clock::now();
  rocksdb::WriteBatch write;
  std::size_t syncs = 0;
  for (std::size_t i = 0; i < total;) {
    write.Clear();
    for (std::size_t k = 0; k < batches_per_write && i < total; ++k, ++i) {
      const auto partition = i % next_offset.size();
      const auto key =
          keys::offset_key(keys::partition_prefix(1, static_cast<std::uint32_t>(partition)),
                           next_offset[partition]++);
      write.Put(handles[0], rocksdb::Slice(key.data(), key.size()), value);
    }
    if (!db->Write(write_options, &write).ok()) ++outcome.failed;
    ++syncs;
  }
  outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (settings.sync)
    outcome.bytes_per_sync =
        static_cast<double>(total * settings.batch_bytes) / static_cast<double>(syncs);
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  db->Close();
  return outcome;
}

void keep_best(Outcome* best, const Outcome& outcome) {
  if (best->seconds == 0 || outcome.seconds < best->seconds) *best = outcome;
}

double megabytes_per_second(const Settings& settings, const Outcome& outcome) {
  return static_cast<double>(batch_count(settings) * settings.batch_bytes) / outcome.seconds / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const auto not_empty = [](const std::string& value) {
    return std::string(value.empty() ? "must not be empty" : "");
  };
  Settings settings;
  CLI::App app{"Appends through the commit pipeline beside raw RocksDB writes"};
  app.add_option("--path", settings.path, "fresh data folder (must not exist)")
      ->required()
      ->check(not_empty);
  app.add_option("--batch-bytes", settings.batch_bytes, "bytes per record batch")
      ->capture_default_str()
      ->check(CLI::Range(keys::batch::header_size, std::numeric_limits<std::size_t>::max()));
  app.add_option("--megabytes", settings.megabytes, "megabytes appended per side")
      ->capture_default_str();
  app.add_option("--threads", settings.threads, "pipeline producer threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--partitions", settings.partitions, "partitions appended to")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--inflight", settings.inflight, "appends in flight per thread")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--sync", settings.sync, "1: synced appends, 0: written only")
      ->capture_default_str();
  app.add_option("--repeat", settings.repeat, "runs per side; the best counts")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--min-blob-bytes", settings.min_blob_bytes, "RocksDB blob threshold")
      ->capture_default_str();
  app.add_option("--write-buffer-bytes", settings.write_buffer_bytes, "RocksDB write buffer size")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (std::filesystem::exists(settings.path)) {
    std::fprintf(stderr, "%s exists; give a path that does not\n", settings.path.c_str());
    return 2;
  }
  // The two sides alternate, so a burst of load from elsewhere hits both alike.
  Outcome pipeline;
  Outcome raw;
  std::size_t batches_per_write = 1;
  for (int r = 0; r < settings.repeat; ++r) {
    std::filesystem::remove_all(settings.path);
    const Outcome piped = run_pipeline(settings);
    keep_best(&pipeline, piped);
    // Same fsyncs per byte as the pipeline managed in its first run; unsynced, one batch
    // per write.
    if (r == 0 && settings.sync && piped.bytes_per_sync > 0)
      batches_per_write = std::max<std::size_t>(
          1, static_cast<std::size_t>(
                 piped.bytes_per_sync / static_cast<double>(settings.batch_bytes) + 0.5));
    std::filesystem::remove_all(settings.path);
    keep_best(&raw, run_raw(settings, batches_per_write));
  }
  std::filesystem::remove_all(settings.path);

  const double pipeline_rate = megabytes_per_second(settings, pipeline);
  const double raw_rate = megabytes_per_second(settings, raw);
  std::printf(
      "batch_bytes=%zu batches=%zu sync=%d threads=%d inflight=%d partitions=%d repeat=%d\n",
      settings.batch_bytes, batch_count(settings), settings.sync ? 1 : 0, settings.threads,
      settings.inflight, settings.partitions, settings.repeat);
  std::printf(
      "  pipeline %8.1f MB/s %9.0f batches/s  bytes/fsync %.0f  disk writes/byte %.2f  failed "
      "%ld\n",
      pipeline_rate, static_cast<double>(batch_count(settings)) / pipeline.seconds,
      pipeline.bytes_per_sync, pipeline.disk_bytes_per_byte, pipeline.failed);
  std::printf(
      "  raw      %8.1f MB/s %9.0f batches/s  bytes/fsync %.0f  batches/write %zu  failed %ld\n",
      raw_rate, static_cast<double>(batch_count(settings)) / raw.seconds, raw.bytes_per_sync,
      batches_per_write, raw.failed);
  std::printf("  pipeline/raw %.2f\n", pipeline_rate / raw_rate);
  return pipeline.failed + raw.failed == 0 ? 0 : 1;
}
