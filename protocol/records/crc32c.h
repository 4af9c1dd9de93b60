// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka record
// batches (magic 2). Pure functions, safe to call from any thread.
#pragma once

#include <cstdint>

#include "protocol/wire/types.h"

namespace weir::protocol::records {

// CRC-32C of `data`. `seed` is the CRC of the bytes before `data`, so a checksum can be
// computed in pieces: crc32c(b, crc32c(a)) == crc32c(a followed by b). Uses the SSE4.2
// `crc32` instruction when the CPU has it, the portable table otherwise.
std::uint32_t crc32c(BytesView data, std::uint32_t seed = 0);

// The table-driven (slicing-by-8) implementation. Same result as crc32c() on every input;
// exposed so tests can compare the two paths.
std::uint32_t crc32c_portable(BytesView data, std::uint32_t seed = 0);

// True when this CPU and build can run crc32c_hardware() with the SSE4.2 instruction.
bool crc32c_hardware_available();

// The SSE4.2 implementation. Falls back to crc32c_portable() when
// crc32c_hardware_available() is false, so it is always safe to call.
std::uint32_t crc32c_hardware(BytesView data, std::uint32_t seed = 0);

}  // namespace weir::protocol::records
