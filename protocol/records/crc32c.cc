#include "protocol/records/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#define WEIR_CRC32C_X86 1
#else
#define WEIR_CRC32C_X86 0
#endif

namespace weir::protocol::records {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78u;  // Castagnoli, bit-reversed

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

// tables[0] is the classic byte-at-a-time table; tables[k][b] is the CRC contribution of
// byte b followed by k zero bytes, which lets the loop fold 8 input bytes per step.
constexpr Tables make_tables() {
  Tables tables{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1u) != 0 ? (crc >> 1) ^ kPolynomial : crc >> 1;
    }
    tables[0][b] = crc;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t b = 0; b < 256; ++b) {
      const std::uint32_t prev = tables[k - 1][b];
      tables[k][b] = (prev >> 8) ^ tables[0][prev & 0xFFu];
    }
  }
  return tables;
}

constexpr Tables kTables = make_tables();

inline std::uint64_t load_le64(const std::byte* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) {
    v = __builtin_bswap64(v);
  }
  return v;
}

#if WEIR_CRC32C_X86
// Advancing a raw CRC register over n zero bytes multiplies it by x^(8n) modulo the
// polynomial. These helpers build that operator so three independently computed CRCs can
// be joined: crc(A B) = shift(crc(A), |B|) ^ crc_from_zero(B).

// a * b modulo the polynomial, both in reflected form (bit 31 is x^0). `a` must be nonzero.
constexpr std::uint32_t multiply_mod_p(std::uint32_t a, std::uint32_t b) {
  std::uint32_t m = 1u << 31;
  std::uint32_t product = 0;
  while (true) {
    if ((a & m) != 0) {
      product ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = (b & 1u) != 0 ? (b >> 1) ^ kPolynomial : b >> 1;
  }
  return product;
}

// x^(8n) modulo the polynomial, by square-and-multiply.
constexpr std::uint32_t x_pow_8n_mod_p(std::uint64_t n) {
  std::uint32_t result = 1u << 31;  // x^0
  std::uint32_t power = 1u << 23;   // x^8
  while (n != 0) {
    if ((n & 1u) != 0) result = multiply_mod_p(power, result);
    power = multiply_mod_p(power, power);
    n >>= 1;
  }
  return result;
}

// The shift-by-n-zero-bytes operator as four byte tables, so applying it costs four loads.
using ShiftTable = std::array<std::array<std::uint32_t, 256>, 4>;

constexpr ShiftTable make_shift_table(std::uint64_t n) {
  const std::uint32_t factor = x_pow_8n_mod_p(n);
  ShiftTable table{};
  for (std::size_t k = 0; k < 4; ++k) {
    for (std::uint32_t b = 0; b < 256; ++b) {
      table[k][b] = b == 0 ? 0 : multiply_mod_p(factor, b << (8 * k));
    }
  }
  return table;
}

inline std::uint32_t shift(const ShiftTable& table, std::uint32_t crc) {
  return table[0][crc & 0xFFu] ^ table[1][(crc >> 8) & 0xFFu] ^ table[2][(crc >> 16) & 0xFFu] ^
         table[3][crc >> 24];
}

// The crc32 instruction has a latency of about three cycles but can start one per cycle,
// so one dependent chain uses a third of it. Three chains over adjacent blocks keep it
// busy; joining them costs two shifts per round. Long blocks serve large buffers, short
// ones make a 1-16 KiB record batch benefit too (sizes as in Mark Adler's crc32c.c).
constexpr std::size_t kLongBlock = 8192;
constexpr std::size_t kShortBlock = 256;
constexpr ShiftTable kShiftLong = make_shift_table(kLongBlock);
constexpr ShiftTable kShiftShort = make_shift_table(kShortBlock);

__attribute__((target("sse4.2"))) inline std::uint64_t crc_u64(std::uint64_t crc,
                                                               const std::byte* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);  // unaligned loads are as fast here
  return _mm_crc32_u64(crc, word);
}

// Runs three chains over `block`-byte blocks while 3 * block bytes remain.
__attribute__((target("sse4.2"))) inline std::uint32_t crc_three_way(
    std::uint32_t crc, const std::byte*& p, std::size_t& n, std::size_t block,
    const ShiftTable& shift_table) {
  while (n >= 3 * block) {
    std::uint64_t crc0 = crc;
    std::uint64_t crc1 = 0;
    std::uint64_t crc2 = 0;
    const std::byte* end = p + block;
    do {
      crc0 = crc_u64(crc0, p);
      crc1 = crc_u64(crc1, p + block);
      crc2 = crc_u64(crc2, p + 2 * block);
      p += 8;
    } while (p < end);
    crc = shift(shift_table, static_cast<std::uint32_t>(crc0)) ^ static_cast<std::uint32_t>(crc1);
    crc = shift(shift_table, crc) ^ static_cast<std::uint32_t>(crc2);
    p += 2 * block;
    n -= 3 * block;
  }
  return crc;
}

__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(const std::byte* p, std::size_t n,
                                                             std::uint32_t seed) {
  std::uint32_t crc = ~seed;
  crc = crc_three_way(crc, p, n, kLongBlock, kShiftLong);
  crc = crc_three_way(crc, p, n, kShortBlock, kShiftShort);
  std::uint64_t crc64 = crc;
  while (n >= 8) {
    crc64 = crc_u64(crc64, p);
    p += 8;
    n -= 8;
  }
  crc = static_cast<std::uint32_t>(crc64);
  while (n > 0) {
    crc = _mm_crc32_u8(crc, std::to_integer<std::uint8_t>(*p));
    ++p;
    --n;
  }
  return ~crc;
}
#endif

}  // namespace

std::uint32_t crc32c_portable(BytesView data, std::uint32_t seed) {
  const std::byte* p = data.data();
  std::size_t n = data.size();
  std::uint32_t crc = ~seed;
  while (n >= 8) {
    const std::uint64_t w = load_le64(p) ^ crc;
    crc = kTables[7][w & 0xFFu] ^ kTables[6][(w >> 8) & 0xFFu] ^ kTables[5][(w >> 16) & 0xFFu] ^
          kTables[4][(w >> 24) & 0xFFu] ^ kTables[3][(w >> 32) & 0xFFu] ^
          kTables[2][(w >> 40) & 0xFFu] ^ kTables[1][(w >> 48) & 0xFFu] ^ kTables[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = (crc >> 8) ^ kTables[0][(crc ^ std::to_integer<std::uint32_t>(*p)) & 0xFFu];
    ++p;
    --n;
  }
  return ~crc;
}

bool crc32c_hardware_available() {
#if WEIR_CRC32C_X86
  static const bool available = __builtin_cpu_supports("sse4.2");
  return available;
#else
  return false;
#endif
}

std::uint32_t crc32c_hardware(BytesView data, std::uint32_t seed) {
#if WEIR_CRC32C_X86
  if (crc32c_hardware_available()) {
    return crc32c_sse42(data.data(), data.size(), seed);
  }
#endif
  return crc32c_portable(data, seed);
}

std::uint32_t crc32c(BytesView data, std::uint32_t seed) { return crc32c_hardware(data, seed); }

}  // namespace weir::protocol::records
