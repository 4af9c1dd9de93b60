// Bounds-checked big-endian reader over a borrowed byte buffer.
//
// Failure is sticky: once any read fails (truncated input, a negative or oversized
// length, an overlong varint), ok() stays false and every later read returns a default
// value without touching the buffer. Callers check ok() once at the end instead of after
// every field. No length read from the wire is trusted: a length or element count larger
// than remaining() fails before anything is allocated.
//
// Not thread-safe; the buffer must outlive the reader and any views it hands out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "protocol/wire/types.h"

namespace weir::protocol {

class Reader {
 public:
  explicit Reader(BytesView data) : data_(data) {}

  bool ok() const { return ok_; }
  // Marks the input as malformed; used by decoders for semantic errors.
  void fail() { ok_ = false; }
  std::size_t remaining() const { return ok_ ? data_.size() - position_ : 0; }
  std::size_t position() const { return position_; }

  std::int8_t read_int8();
  std::int16_t read_int16();
  std::int32_t read_int32();
  std::int64_t read_int64();
  std::uint16_t read_uint16();
  std::uint32_t read_uint32();
  double read_float64();
  // Any non-zero byte reads as true, as in Kafka's Java reader.
  bool read_bool();
  Uuid read_uuid();

  // Kafka's unsigned varint (lengths, counts, tags): at most 5 bytes; a value that does
  // not fit in 32 bits fails.
  std::uint32_t read_unsigned_varint();
  // Zig-zag signed varints of the record format. At most 5 and 10 bytes.
  std::int32_t read_varint();
  std::int64_t read_varlong();

  // int16 length. The non-nullable forms fail on a negative length.
  std::string read_string();
  std::optional<std::string> read_nullable_string();
  // Unsigned varint of length + 1; 0 means null.
  std::string read_compact_string();
  std::optional<std::string> read_compact_nullable_string();

  // int32 length (or compact: unsigned varint of length + 1).
  Bytes read_bytes();
  std::optional<Bytes> read_nullable_bytes();
  Bytes read_compact_bytes();
  std::optional<Bytes> read_compact_nullable_bytes();

  // The compact form when `flexible`, else the classic one: how every string and bytes
  // field of a message is read once its version is known.
  std::string read_string(bool flexible) {
    return flexible ? read_compact_string() : read_string();
  }
  std::optional<std::string> read_nullable_string(bool flexible) {
    return flexible ? read_compact_nullable_string() : read_nullable_string();
  }
  Bytes read_bytes(bool flexible) { return flexible ? read_compact_bytes() : read_bytes(); }
  std::optional<Bytes> read_nullable_bytes(bool flexible) {
    return flexible ? read_compact_nullable_bytes() : read_nullable_bytes();
  }

  // The next n bytes as a view into the underlying buffer, without copying.
  BytesView read_bytes_view(std::size_t n);
  // A `records` field: nullable bytes (compact when flexible) returned as a view, so
  // record batches are never copied while decoding a request.
  std::optional<BytesView> read_records(bool flexible);

  void skip(std::size_t n);

  // An array's element count: -1 for a null array. Each element takes at least one
  // byte, so a count larger than remaining() fails here, before any allocation.
  std::int32_t read_array_length(bool flexible);

  // Tagged-field section helpers: the number of fields, then per field its tag and the
  // payload (read as a view; decode it with a sub-reader).
  std::uint32_t read_tagged_field_count() { return read_unsigned_varint(); }
  BytesView read_tagged_field_payload();

 private:
  // Returns a pointer to n readable bytes and advances, or fails and returns nullptr.
  const std::byte* take(std::size_t n);
  // Reads a length prefix: an int16/int32 or a compact (varint minus one) length.
  // Returns -1 for null and fails (returning -1 too) if the length exceeds remaining().
  std::int64_t read_length(int width, bool compact);

  BytesView data_;
  std::size_t position_ = 0;
  bool ok_ = true;
};

}  // namespace weir::protocol
