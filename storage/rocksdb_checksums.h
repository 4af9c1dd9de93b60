// RocksDB checksums every WAL record and blob record with CRC-32C. Debian's librocksdb is
// a portable build that always runs the table-driven loop, which cost 41% of the broker's
// instructions per produced byte. Weir supplies its own rocksdb::crc32c::Extend (same
// function, SSE4.2 when the CPU has it) that the dynamic linker binds in place of the
// library's; docs/benchmarks.md has the measurements.
#pragma once

#include <cstdint>
#include <string_view>

namespace weir::storage {

// "crc32c-sse4.2" or "crc32c-table": what RocksDB's checksums run on, for the start-up log.
std::string_view rocksdb_checksum_implementation();

// How many times RocksDB has called Weir's CRC-32C since start, so tests can show the
// replacement is in effect (a library built with -Bsymbolic would keep its own).
std::uint64_t rocksdb_checksum_calls();

}  // namespace weir::storage
