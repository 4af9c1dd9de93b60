#include "storage/rocksdb_checksums.h"

#include <atomic>
#include <cstddef>

#include "protocol/records/crc32c.h"

namespace {
std::atomic<std::uint64_t> checksum_calls{0};
}  // namespace

// The declaration RocksDB's own code calls through the PLT (util/crc32c.h in its source
// tree, not installed): "the crc32c of concat(A, data[0,n-1]) where init_crc is the crc32c
// of some string A", which is exactly crc32c()'s seed argument.
namespace rocksdb::crc32c {
std::uint32_t Extend(std::uint32_t init_crc, const char* data, std::size_t n);

std::uint32_t Extend(std::uint32_t init_crc, const char* data, std::size_t n) {
  checksum_calls.fetch_add(1, std::memory_order_relaxed);
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  return weir::protocol::records::crc32c_hardware({bytes, n}, init_crc);
}
}  // namespace rocksdb::crc32c

namespace weir::storage {

std::string_view rocksdb_checksum_implementation() {
  return protocol::records::crc32c_hardware_available() ? "crc32c-sse4.2" : "crc32c-table";
}

std::uint64_t rocksdb_checksum_calls() { return checksum_calls.load(std::memory_order_relaxed); }

}  // namespace weir::storage
