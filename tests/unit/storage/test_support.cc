#include "test_support.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <future>
#include <random>

namespace weir::storage::test {
namespace {

void put_be(std::byte* out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<std::byte>(value & 0xff);
    value >>= 8;
  }
}

std::uint64_t get_be(const std::byte* in, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | std::to_integer<std::uint64_t>(in[i]);
  return value;
}

}  // namespace

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() /
          ("weir-storage-test-" + std::to_string(random()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::unique_ptr<Store> open_store(const std::string& path) {
  return open_store(path, StoreOptions());
}

std::unique_ptr<Store> open_store(const std::string& path, StoreOptions options) {
  options.path = path;
  // Small buffers keep the tests light; behaviour does not depend on them.
  options.write_buffer_bytes = 1 << 20;
  options.block_cache_bytes = 1 << 20;
  std::string error;
  auto store = Store::open(options, &error);
  INFO(error);
  REQUIRE(store != nullptr);
  return store;
}

std::vector<std::byte> make_batch(std::int32_t last_offset_delta, std::int64_t max_timestamp,
                                  std::size_t payload_bytes, std::uint8_t fill) {
  std::vector<std::byte> batch(61 + payload_bytes, static_cast<std::byte>(fill));
  std::memset(batch.data(), 0, 61);
  put_be(batch.data(), ~std::uint64_t{0}, 8);      // base offset, patched on append
  put_be(batch.data() + 8, batch.size() - 12, 4);  // batch length
  batch[16] = std::byte{2};                        // magic
  put_be(batch.data() + 23, static_cast<std::uint32_t>(last_offset_delta), 4);
  put_be(batch.data() + 27, static_cast<std::uint64_t>(max_timestamp), 8);  // first timestamp
  put_be(batch.data() + 35, static_cast<std::uint64_t>(max_timestamp), 8);  // max timestamp
  put_be(batch.data() + 43, ~std::uint64_t{0}, 8);  // producer id -1: not idempotent
  put_be(batch.data() + 51, 0xffff, 2);             // producer epoch -1
  put_be(batch.data() + 53, 0xffffffff, 4);         // base sequence -1
  put_be(batch.data() + 57, static_cast<std::uint32_t>(last_offset_delta + 1), 4);  // record count
  return batch;
}

AppendResult append_and_wait(Store& store, PartitionLog* log, std::int32_t last_offset_delta,
                             std::int64_t max_timestamp, std::size_t payload_bytes,
                             Durability durability) {
  std::promise<AppendResult> promise;
  auto future = promise.get_future();
  store.append(log, make_batch(last_offset_delta, max_timestamp, payload_bytes), last_offset_delta,
               max_timestamp, durability,
               [&promise](const AppendResult& result) { promise.set_value(result); });
  return future.get();
}

std::vector<std::byte> make_producer_batch(std::int32_t last_offset_delta, std::int64_t producer_id,
                                           std::int16_t producer_epoch,
                                           std::int32_t base_sequence) {
  std::vector<std::byte> batch = make_batch(last_offset_delta, 1000);
  put_be(batch.data() + 43, static_cast<std::uint64_t>(producer_id), 8);
  put_be(batch.data() + 51, static_cast<std::uint16_t>(producer_epoch), 2);
  put_be(batch.data() + 53, static_cast<std::uint32_t>(base_sequence), 4);
  return batch;
}

AppendResult append_batch_and_wait(Store& store, PartitionLog* log, std::vector<std::byte> batch,
                                   std::int32_t last_offset_delta, Durability durability) {
  std::promise<AppendResult> promise;
  auto future = promise.get_future();
  store.append(log, std::move(batch), last_offset_delta, 1000, durability,
               [&promise](const AppendResult& result) { promise.set_value(result); });
  return future.get();
}

std::int64_t read_i64(const std::byte* at) { return static_cast<std::int64_t>(get_be(at, 8)); }

std::vector<BatchView> split_batches(const std::vector<std::byte>& records) {
  std::vector<BatchView> batches;
  std::size_t at = 0;
  while (at < records.size()) {
    REQUIRE(records.size() - at >= 61);
    const std::size_t size = 12 + get_be(records.data() + at + 8, 4);
    REQUIRE(records.size() - at >= size);
    batches.push_back({read_i64(records.data() + at),
                       static_cast<std::int32_t>(get_be(records.data() + at + 23, 4)), size});
    at += size;
  }
  return batches;
}

}  // namespace weir::storage::test
