#include "protocol/wire/reader.h"

#include <bit>
#include <cstring>

namespace weir::protocol {

namespace {

template <typename Unsigned>
Unsigned load_big_endian(const std::byte* p) {
  Unsigned value = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    value = static_cast<Unsigned>((value << 8) | static_cast<std::uint8_t>(p[i]));
  }
  return value;
}

}  // namespace

const std::byte* Reader::take(std::size_t n) {
  if (!ok_ || n > data_.size() - position_) {
    ok_ = false;
    return nullptr;
  }
  const std::byte* p = data_.data() + position_;
  position_ += n;
  return p;
}

std::int8_t Reader::read_int8() {
  const std::byte* p = take(1);
  return p ? static_cast<std::int8_t>(p[0]) : 0;
}

std::int16_t Reader::read_int16() { return static_cast<std::int16_t>(read_uint16()); }

std::int32_t Reader::read_int32() { return static_cast<std::int32_t>(read_uint32()); }

std::int64_t Reader::read_int64() {
  const std::byte* p = take(8);
  return p ? static_cast<std::int64_t>(load_big_endian<std::uint64_t>(p)) : 0;
}

std::uint16_t Reader::read_uint16() {
  const std::byte* p = take(2);
  return p ? load_big_endian<std::uint16_t>(p) : 0;
}

std::uint32_t Reader::read_uint32() {
  const std::byte* p = take(4);
  return p ? load_big_endian<std::uint32_t>(p) : 0;
}

double Reader::read_float64() {
  const std::byte* p = take(8);
  return p ? std::bit_cast<double>(load_big_endian<std::uint64_t>(p)) : 0.0;
}

bool Reader::read_bool() { return read_int8() != 0; }

Uuid Reader::read_uuid() {
  Uuid id{};
  if (const std::byte* p = take(id.size())) std::memcpy(id.data(), p, id.size());
  return id;
}

std::uint32_t Reader::read_unsigned_varint() {
  std::uint32_t value = 0;
  for (int i = 0; i < 5; ++i) {
    const std::byte* p = take(1);
    if (!p) return 0;
    const auto b = static_cast<std::uint8_t>(*p);
    // The fifth byte may only carry the top 4 bits of a 32-bit value.
    if (i == 4 && (b & 0xf0) != 0) {
      ok_ = false;
      return 0;
    }
    value |= static_cast<std::uint32_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return value;
  }
  ok_ = false;  // unreachable: the fifth byte's continuation bit is caught above
  return 0;
}

std::int32_t Reader::read_varint() {
  const std::uint32_t raw = read_unsigned_varint();
  return static_cast<std::int32_t>((raw >> 1) ^ (~(raw & 1) + 1));
}

std::int64_t Reader::read_varlong() {
  std::uint64_t raw = 0;
  for (int i = 0; i < 10; ++i) {
    const std::byte* p = take(1);
    if (!p) return 0;
    const auto b = static_cast<std::uint8_t>(*p);
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (i == 9 && (b & 0xfe) != 0) {
      ok_ = false;
      return 0;
    }
    raw |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  }
  ok_ = false;
  return 0;
}

std::int64_t Reader::read_length(int width, bool compact) {
  std::int64_t length;
  if (compact) {
    length = static_cast<std::int64_t>(read_unsigned_varint()) - 1;
  } else if (width == 2) {
    length = read_int16();
  } else {
    length = read_int32();
  }
  if (!ok_) return -1;
  if (length < -1 || (length > 0 && static_cast<std::uint64_t>(length) > remaining())) {
    ok_ = false;
    return -1;
  }
  return length;
}

std::string Reader::read_string() {
  std::optional<std::string> s = read_nullable_string();
  if (!s) {
    ok_ = false;
    return {};
  }
  return std::move(*s);
}

std::optional<std::string> Reader::read_nullable_string() {
  const std::int64_t length = read_length(2, false);
  if (length < 0) return std::nullopt;  // null, or already failed
  const std::byte* p = take(static_cast<std::size_t>(length));
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(length));
}

std::string Reader::read_compact_string() {
  std::optional<std::string> s = read_compact_nullable_string();
  if (!s) {
    ok_ = false;
    return {};
  }
  return std::move(*s);
}

std::optional<std::string> Reader::read_compact_nullable_string() {
  const std::int64_t length = read_length(0, true);
  if (length < 0) return std::nullopt;  // null, or already failed
  const std::byte* p = take(static_cast<std::size_t>(length));
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(length));
}

Bytes Reader::read_bytes() {
  std::optional<Bytes> b = read_nullable_bytes();
  if (!b) {
    ok_ = false;
    return {};
  }
  return std::move(*b);
}

std::optional<Bytes> Reader::read_nullable_bytes() {
  const std::int64_t length = read_length(4, false);
  if (length < 0) return std::nullopt;  // null, or already failed
  const BytesView view = read_bytes_view(static_cast<std::size_t>(length));
  return Bytes(view.begin(), view.end());
}

Bytes Reader::read_compact_bytes() {
  std::optional<Bytes> b = read_compact_nullable_bytes();
  if (!b) {
    ok_ = false;
    return {};
  }
  return std::move(*b);
}

std::optional<Bytes> Reader::read_compact_nullable_bytes() {
  const std::int64_t length = read_length(0, true);
  if (length < 0) return std::nullopt;  // null, or already failed
  const BytesView view = read_bytes_view(static_cast<std::size_t>(length));
  return Bytes(view.begin(), view.end());
}

BytesView Reader::read_bytes_view(std::size_t n) {
  const std::byte* p = take(n);
  return p ? BytesView(p, n) : BytesView();
}

std::optional<BytesView> Reader::read_records(bool flexible) {
  const std::int64_t length = read_length(4, flexible);
  if (length < 0) return std::nullopt;  // null, or already failed
  return read_bytes_view(static_cast<std::size_t>(length));
}

void Reader::skip(std::size_t n) { take(n); }

std::int32_t Reader::read_array_length(bool flexible) {
  const std::int64_t count = read_length(4, flexible);
  if (!ok_) return 0;
  return static_cast<std::int32_t>(count);
}

BytesView Reader::read_tagged_field_payload() {
  const std::uint32_t size = read_unsigned_varint();
  return read_bytes_view(size);
}

}  // namespace weir::protocol
