#include "storage/db_options.h"

#include <rocksdb/cache.h>
#include <rocksdb/env.h>
#include <rocksdb/table.h>

#include <cstdarg>
#include <cstdio>

namespace weir::storage {
namespace {

// RocksDB's warnings and errors, on the broker's stderr beside its own log lines.
class StderrLogger final : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list arguments) override {
    char line[1024];
    std::vsnprintf(line, sizeof line, format, arguments);
    std::fprintf(stderr, "weir storage: rocksdb: %s\n", line);
  }
};

// The column families other than `log` hold small records written rarely.
constexpr std::size_t small_write_buffer_bytes = 4 << 20;

rocksdb::ColumnFamilyOptions with_table(rocksdb::ColumnFamilyOptions column,
                                        const std::shared_ptr<rocksdb::Cache>& cache,
                                        std::size_t block_size) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;  // one cache budget for the whole database, not one per column family
  table.block_size = block_size;
  column.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return column;
}

}  // namespace

rocksdb::DBOptions make_db_options(const StoreOptions& options) {
  rocksdb::DBOptions db;
  db.create_if_missing = true;               // first start on an empty STORAGE_PATH
  db.create_missing_column_families = true;  // a newer Weir may add column families
  db.max_background_jobs =
      options.max_background_jobs;  // flush and compaction threads, sized to the cores
  db.bytes_per_sync =
      1 << 20;  // write SST files back in 1 MiB steps, not one long stall at the end
  db.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kPointInTimeRecovery;  // after a crash, stop at the last whole
                                                       // WriteBatch: no torn group
  // Not RocksDB's LOG file: once a write to it has failed (a full disk), Debian's build
  // aborts the process on the next log line (an assertion in WritableFileWriter, met in
  // the disk-full test). Warnings and errors go to stderr instead; nothing is written.
  db.info_log = std::make_shared<StderrLogger>();
  db.max_total_wal_size =
      512 << 20;  // a rarely written column family must not pin old WAL files for ever
  return db;
}

std::vector<rocksdb::ColumnFamilyDescriptor> make_column_families(const StoreOptions& options) {
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);

  rocksdb::ColumnFamilyOptions log;
  log.write_buffer_size =
      options.write_buffer_bytes;             // big sequential values: fewer, larger flushes
  log.max_write_buffer_number = 3;            // appends keep flowing while one memtable flushes
  log.target_file_size_base = 64 << 20;       // SST files about one memtable in size
  log.max_bytes_for_level_base = 256 << 20;   // L1 ~ 4 flushes, so L0 compactions stay cheap
  log.compression = rocksdb::kNoCompression;  // producers' batches are often compressed already
  log.level_compaction_dynamic_level_bytes =
      true;  // keeps space amplification near 1.1x as the log grows
  if (options.min_blob_bytes > 0) {
    log.enable_blob_files =
        true;  // compactions rewrite keys, not payloads: write amplification 3.0 -> 2.0 measured
    log.min_blob_size =
        options.min_blob_bytes;  // small batches stay inline, where one block read gets several
    // Off: in a log every blob is live until retention deletes it, so GC in every
    // compaction only rewrote live data (W3, 920 MB appended: the broker wrote 2016-2225 MB
    // with it, 1794-1850 MB without). The retention thread collects instead, when the
    // oldest blob files are mostly garbage (storage/store_blob_garbage.cc).
    log.enable_blob_garbage_collection = false;
  }
  log =
      with_table(log, cache, 64 << 10);  // 64 KiB blocks: batches are KiBs, so fewer index entries

  rocksdb::ColumnFamilyOptions small;
  small.write_buffer_size =
      small_write_buffer_bytes;               // topics, index entries, offsets: small and few
  small = with_table(small, cache, 4 << 10);  // 4 KiB blocks suit point reads of small records

  return {
      {log_column, log},       {meta_column, small},      {timeindex_column, small},
      {offsets_column, small}, {producers_column, small},
  };
}

}  // namespace weir::storage
