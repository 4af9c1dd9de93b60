// Key layouts of the `log` and `timeindex` column families, and the few fields of a v2
// record batch header that storage reads or patches. Everything is big-endian, so
// RocksDB's bytewise order is partition order, then offset (or timestamp) order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace weir::storage::keys {

constexpr std::size_t prefix_size = 8;          // topic internal id u32 ‖ partition u32
constexpr std::size_t log_key_size = 16;        // prefix ‖ base_offset u64
constexpr std::size_t timeindex_key_size = 16;  // prefix ‖ (timestamp ^ sign bit) u64

inline void put_u32(char* out, std::uint32_t value) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

inline void put_u64(char* out, std::uint64_t value) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

inline std::uint32_t get_u32(const char* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

inline std::uint64_t get_u64(const char* in) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

inline std::array<char, prefix_size> partition_prefix(std::uint32_t topic_internal_id,
                                                      std::uint32_t partition) {
  std::array<char, prefix_size> prefix;
  put_u32(prefix.data(), topic_internal_id);
  put_u32(prefix.data() + 4, partition);
  return prefix;
}

// prefix ‖ value (u64 BE): a log key for an offset, or a bound for iterators.
inline std::array<char, log_key_size> offset_key(const std::array<char, prefix_size>& prefix,
                                                 std::uint64_t value) {
  std::array<char, log_key_size> key;
  std::memcpy(key.data(), prefix.data(), prefix_size);
  put_u64(key.data() + prefix_size, value);
  return key;
}

// Flipping the sign bit makes a signed timestamp sort bytewise in numeric order.
inline std::uint64_t timestamp_to_key(std::int64_t timestamp) {
  return static_cast<std::uint64_t>(timestamp) ^ (std::uint64_t{1} << 63);
}

inline std::int64_t timestamp_from_key(std::uint64_t key) {
  return static_cast<std::int64_t>(key ^ (std::uint64_t{1} << 63));
}

// The v2 record batch header (KIP-98): 61 bytes before the first record.
namespace batch {
constexpr std::size_t header_size = 61;
constexpr std::size_t base_offset_at = 0;         // int64, not covered by the CRC
constexpr std::size_t last_offset_delta_at = 23;  // int32
constexpr std::size_t max_timestamp_at = 35;      // int64
constexpr std::size_t producer_id_at = 43;        // int64
constexpr std::size_t producer_epoch_at = 51;     // int16
constexpr std::size_t base_sequence_at = 53;      // int32
}  // namespace batch

}  // namespace weir::storage::keys
