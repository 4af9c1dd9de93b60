#include "protocol/wire/writer.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <stdexcept>
#include <utility>

namespace weir::protocol {

namespace {

template <typename Unsigned>
void store_big_endian(Unsigned value, std::byte* out) {
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    out[sizeof(Unsigned) - 1 - i] = static_cast<std::byte>(value & 0xff);
    value = static_cast<Unsigned>(value >> 8);
  }
}

void check_length(std::size_t length, std::size_t max, const char* what) {
  if (length > max) throw std::length_error(what);
}

}  // namespace

Bytes Writer::take() { return std::exchange(buffer_, Bytes()); }

void Writer::append(const void* data, std::size_t n) {
  const auto* p = static_cast<const std::byte*>(data);
  buffer_.insert(buffer_.end(), p, p + n);
}

void Writer::patch_int32(std::size_t position, std::int32_t value) {
  if (position + 4 > buffer_.size()) throw std::out_of_range("patch_int32 past the end");
  store_big_endian(static_cast<std::uint32_t>(value), buffer_.data() + position);
}

void Writer::write_int8(std::int8_t value) { buffer_.push_back(static_cast<std::byte>(value)); }

void Writer::write_int16(std::int16_t value) { write_uint16(static_cast<std::uint16_t>(value)); }

void Writer::write_int32(std::int32_t value) { write_uint32(static_cast<std::uint32_t>(value)); }

void Writer::write_int64(std::int64_t value) {
  std::byte out[8];
  store_big_endian(static_cast<std::uint64_t>(value), out);
  append(out, sizeof out);
}

void Writer::write_uint16(std::uint16_t value) {
  std::byte out[2];
  store_big_endian(value, out);
  append(out, sizeof out);
}

void Writer::write_uint32(std::uint32_t value) {
  std::byte out[4];
  store_big_endian(value, out);
  append(out, sizeof out);
}

void Writer::write_float64(double value) {
  std::byte out[8];
  store_big_endian(std::bit_cast<std::uint64_t>(value), out);
  append(out, sizeof out);
}

void Writer::write_bool(bool value) { write_int8(value ? 1 : 0); }

void Writer::write_uuid(const Uuid& value) { append(value.data(), value.size()); }

void Writer::write_unsigned_varint(std::uint32_t value) {
  while (value >= 0x80) {
    buffer_.push_back(static_cast<std::byte>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  buffer_.push_back(static_cast<std::byte>(value));
}

void Writer::write_varint(std::int32_t value) {
  const auto raw = static_cast<std::uint32_t>(value);
  write_unsigned_varint((raw << 1) ^ static_cast<std::uint32_t>(value >> 31));
}

void Writer::write_varlong(std::int64_t value) {
  const auto raw = static_cast<std::uint64_t>(value);
  std::uint64_t zigzag = (raw << 1) ^ static_cast<std::uint64_t>(value >> 63);
  while (zigzag >= 0x80) {
    buffer_.push_back(static_cast<std::byte>((zigzag & 0x7f) | 0x80));
    zigzag >>= 7;
  }
  buffer_.push_back(static_cast<std::byte>(zigzag));
}

void Writer::write_string(std::string_view value) {
  check_length(value.size(), std::numeric_limits<std::int16_t>::max(), "string too long");
  write_int16(static_cast<std::int16_t>(value.size()));
  append(value.data(), value.size());
}

void Writer::write_nullable_string(const std::optional<std::string_view>& value) {
  if (!value) {
    write_int16(-1);
    return;
  }
  write_string(*value);
}

void Writer::write_compact_string(std::string_view value) {
  check_length(value.size(), std::numeric_limits<std::uint32_t>::max() - 1, "string too long");
  write_unsigned_varint(static_cast<std::uint32_t>(value.size() + 1));
  append(value.data(), value.size());
}

void Writer::write_compact_nullable_string(const std::optional<std::string_view>& value) {
  if (!value) {
    write_unsigned_varint(0);
    return;
  }
  write_compact_string(*value);
}

void Writer::write_bytes(BytesView value) {
  check_length(value.size(), std::numeric_limits<std::int32_t>::max(), "bytes too long");
  write_int32(static_cast<std::int32_t>(value.size()));
  write_raw(value);
}

void Writer::write_nullable_bytes(const std::optional<BytesView>& value) {
  if (!value) {
    write_int32(-1);
    return;
  }
  write_bytes(*value);
}

void Writer::write_compact_bytes(BytesView value) {
  check_length(value.size(), std::numeric_limits<std::uint32_t>::max() - 1, "bytes too long");
  write_unsigned_varint(static_cast<std::uint32_t>(value.size() + 1));
  write_raw(value);
}

void Writer::write_compact_nullable_bytes(const std::optional<BytesView>& value) {
  if (!value) {
    write_unsigned_varint(0);
    return;
  }
  write_compact_bytes(*value);
}

void Writer::write_records(const std::optional<BytesView>& value, bool flexible) {
  if (flexible) {
    write_compact_nullable_bytes(value);
  } else {
    write_nullable_bytes(value);
  }
}

void Writer::write_raw(BytesView value) { append(value.data(), value.size()); }

void Writer::write_array_length(std::int32_t count, bool flexible) {
  if (count < -1) throw std::length_error("negative array length");
  if (flexible) {
    write_unsigned_varint(static_cast<std::uint32_t>(count + 1));
  } else {
    write_int32(count);
  }
}

void Writer::write_tagged_field(std::uint32_t tag, BytesView payload) {
  check_length(payload.size(), std::numeric_limits<std::uint32_t>::max(), "tagged field too long");
  write_unsigned_varint(tag);
  write_unsigned_varint(static_cast<std::uint32_t>(payload.size()));
  write_raw(payload);
}

UnknownTaggedFieldsCursor::UnknownTaggedFieldsCursor(const UnknownTaggedFields& fields)
    : fields_(fields), order_(fields.size()) {
  for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(),
                   [&](std::size_t a, std::size_t b) { return fields_[a].tag < fields_[b].tag; });
}

void UnknownTaggedFieldsCursor::write_before(Writer& writer, std::uint32_t tag) {
  while (next_ < order_.size() && fields_[order_[next_]].tag < tag) {
    const RawTaggedField& field = fields_[order_[next_++]];
    writer.write_tagged_field(field.tag, field.data);
  }
}

void UnknownTaggedFieldsCursor::write_rest(Writer& writer) {
  while (next_ < order_.size()) {
    const RawTaggedField& field = fields_[order_[next_++]];
    writer.write_tagged_field(field.tag, field.data);
  }
}

}  // namespace weir::protocol
