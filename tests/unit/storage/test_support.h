// Helpers for the storage tests: a temporary database directory, record batches that
// are valid enough for storage, and a blocking append.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/store.h"

namespace weir::storage::test {

// A fresh directory under the system's temporary directory, removed with everything in
// it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string db() const { return (path_ / "db").string(); }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<Store> open_store(const std::string& path);
// The same small buffers as open_store(path), with the rest of `options` as given.
std::unique_ptr<Store> open_store(const std::string& path, StoreOptions options);

// A v2 batch: 61-byte header (batch length, magic 2, last offset delta, max timestamp
// set; base offset filled with 0xff so the patch is visible) and `payload_bytes` of `fill`.
// Storage does not check the CRC.
std::vector<std::byte> make_batch(std::int32_t last_offset_delta, std::int64_t max_timestamp,
                                  std::size_t payload_bytes = 16, std::uint8_t fill = 0xab);
// make_batch from an idempotent producer.
std::vector<std::byte> make_producer_batch(std::int32_t last_offset_delta, std::int64_t producer_id,
                                           std::int16_t producer_epoch, std::int32_t base_sequence);
// Appends `batch` and waits for the completion.
AppendResult append_batch_and_wait(Store& store, PartitionLog* log, std::vector<std::byte> batch,
                                   std::int32_t last_offset_delta,
                                   Durability durability = Durability::written);

// Appends and waits for the completion.
AppendResult append_and_wait(Store& store, PartitionLog* log, std::int32_t last_offset_delta,
                             std::int64_t max_timestamp, std::size_t payload_bytes = 16,
                             Durability durability = Durability::written);

std::int64_t read_i64(const std::byte* at);

// A batch found in a fetch response's records.
struct BatchView {
  std::int64_t base_offset;
  std::int32_t last_offset_delta;
  std::size_t size;
};
// Splits concatenated batches by their batch length field; fails the test on a torn one.
std::vector<BatchView> split_batches(const std::vector<std::byte>& records);

}  // namespace weir::storage::test
