#include <dlfcn.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

#include "storage/rocksdb_checksums.h"
#include "storage/store.h"
#include "test_support.h"

namespace weir::storage {
namespace {

using test::append_and_wait;
using test::open_store;
using test::TempDir;

using ExtendFunction = std::uint32_t (*)(std::uint32_t, const char*, std::size_t);

// RocksDB's own CRC-32C, found past this program's replacement in the lookup order.
ExtendFunction rocksdb_own_extend() {
  return reinterpret_cast<ExtendFunction>(dlsym(RTLD_NEXT, "_ZN7rocksdb6crc32c6ExtendEjPKcm"));
}

ExtendFunction extend_as_rocksdb_binds_it() {
  return reinterpret_cast<ExtendFunction>(dlsym(RTLD_DEFAULT, "_ZN7rocksdb6crc32c6ExtendEjPKcm"));
}

TEST_CASE("RocksDB's checksums run on Weir's CRC-32C", "[storage][checksums]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->create_topic("t", 1, {}, nullptr) == StorageErrc::ok);
  const std::uint64_t calls_before = rocksdb_checksum_calls();
  REQUIRE(append_and_wait(*store, store->partition("t", 0), 0, 1, 4096, Durability::synced).error ==
          StorageErrc::ok);
  CHECK(rocksdb_checksum_calls() > calls_before);
  CHECK((rocksdb_checksum_implementation() == "crc32c-sse4.2" ||
         rocksdb_checksum_implementation() == "crc32c-table"));
}

TEST_CASE("Weir's CRC-32C gives RocksDB's own results, so either can read the other's files",
          "[storage][checksums]") {
  const ExtendFunction theirs = rocksdb_own_extend();
  const ExtendFunction ours = extend_as_rocksdb_binds_it();
  REQUIRE(theirs != nullptr);
  REQUIRE(ours != nullptr);
  REQUIRE(theirs != ours);
  CHECK(ours(0, "123456789", 9) == 0xe3069283u);  // the CRC-32C check value
  std::mt19937_64 random(42);
  std::vector<char> data(70000);
  for (auto& c : data) c = static_cast<char>(random());
  for (const std::size_t length : {0, 1, 7, 8, 9, 255, 768, 4096, 24577, 70000}) {
    const auto seed = static_cast<std::uint32_t>(random());
    const std::size_t start = length == data.size() ? 0 : random() % (data.size() - length);
    INFO("length " << length << " start " << start);
    CHECK(ours(seed, data.data() + start, length) == theirs(seed, data.data() + start, length));
  }
}

}  // namespace
}  // namespace weir::storage
