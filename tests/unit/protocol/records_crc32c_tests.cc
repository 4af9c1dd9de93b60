#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "protocol/records/crc32c.h"

using namespace weir::protocol;
using namespace weir::protocol::records;

namespace {

BytesView view_of(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::vector<std::byte> filled(std::size_t n, int (*value)(std::size_t)) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(value(i));
  return out;
}

}  // namespace

TEST_CASE("crc32c matches the published Castagnoli check values") {
  // "123456789" is the standard check input; the 32-byte vectors are from RFC 3720 B.4.
  const auto zeros = filled(32, [](std::size_t) { return 0x00; });
  const auto ones = filled(32, [](std::size_t) { return 0xFF; });
  const auto ascending = filled(32, [](std::size_t i) { return static_cast<int>(i); });
  const auto descending = filled(32, [](std::size_t i) { return static_cast<int>(31 - i); });

  for (auto* fn : {&crc32c, &crc32c_portable, &crc32c_hardware}) {
    CHECK(fn(view_of("123456789"), 0) == 0xE3069283u);
    CHECK(fn(zeros, 0) == 0x8A9136AAu);
    CHECK(fn(ones, 0) == 0x62A8AB43u);
    CHECK(fn(ascending, 0) == 0x46DD794Eu);
    CHECK(fn(descending, 0) == 0x113FDB5Cu);
    CHECK(fn(BytesView{}, 0) == 0u);
  }
}

TEST_CASE("hardware and portable crc32c agree on every length 0..1024 at unaligned starts") {
  if (!crc32c_hardware_available()) {
    WARN("CPU has no SSE4.2: crc32c_hardware falls back to the portable path");
  }
  std::mt19937 rng(20240601);
  std::vector<std::byte> buffer(1024 + 8);
  for (auto& b : buffer) b = static_cast<std::byte>(rng());

  for (std::size_t start = 0; start < 8; ++start) {
    for (std::size_t length = 0; length <= 1024; ++length) {
      const BytesView data(buffer.data() + start, length);
      const std::uint32_t portable = crc32c_portable(data);
      const std::uint32_t hardware = crc32c_hardware(data);
      if (portable != hardware) {
        FAIL("mismatch at start " << start << " length " << length);
      }
      REQUIRE(crc32c(data) == portable);
    }
  }
}

TEST_CASE("hardware and portable crc32c agree on large buffers around the block boundaries") {
  // The hardware path joins three interleaved chains over 256-byte and 8 KiB blocks; these
  // lengths cross each switch between block sizes.
  std::mt19937 rng(99);
  std::vector<std::byte> buffer(200'000 + 8);
  for (auto& b : buffer) b = static_cast<std::byte>(rng());

  for (std::size_t length :
       {std::size_t{767}, std::size_t{768}, std::size_t{769}, std::size_t{1536},
        std::size_t{24'575}, std::size_t{24'576}, std::size_t{24'577}, std::size_t{24'576 + 768},
        std::size_t{49'152 + 1'000}, std::size_t{131'072}, std::size_t{200'000}}) {
    for (std::size_t start = 0; start < 8; ++start) {
      const BytesView data(buffer.data() + start, length);
      INFO("start " << start << " length " << length);
      REQUIRE(crc32c_hardware(data) == crc32c_portable(data));
      REQUIRE(crc32c_hardware(data, 0x12345678u) == crc32c_portable(data, 0x12345678u));
    }
  }
}

TEST_CASE("crc32c can be computed in pieces by passing the previous CRC as the seed") {
  std::mt19937 rng(7);
  std::vector<std::byte> buffer(777);
  for (auto& b : buffer) b = static_cast<std::byte>(rng());
  const BytesView all(buffer);

  for (std::size_t split :
       {std::size_t{0}, std::size_t{1}, std::size_t{9}, std::size_t{400}, std::size_t{777}}) {
    const auto head = all.first(split);
    const auto tail = all.subspan(split);
    CHECK(crc32c_portable(tail, crc32c_portable(head)) == crc32c_portable(all));
    CHECK(crc32c_hardware(tail, crc32c_hardware(head)) == crc32c_hardware(all));
  }
}
