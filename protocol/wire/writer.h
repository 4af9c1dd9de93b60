// Big-endian writer that appends to a buffer it owns. Mirrors Reader method for method.
//
// Writing cannot fail; lengths that do not fit their prefix (a string over 32767 bytes
// with an int16 length) are programmer errors and throw std::length_error, because a
// truncated prefix would silently corrupt the stream. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/wire/types.h"

namespace weir::protocol {

class Writer {
 public:
  Writer() = default;

  // Moves the buffer out; the writer is empty afterwards.
  Bytes take();
  std::size_t size() const { return buffer_.size(); }
  const Bytes& buffer() const { return buffer_; }
  // Overwrites four already-written bytes, e.g. a size prefix once the body is known.
  void patch_int32(std::size_t position, std::int32_t value);

  void write_int8(std::int8_t value);
  void write_int16(std::int16_t value);
  void write_int32(std::int32_t value);
  void write_int64(std::int64_t value);
  void write_uint16(std::uint16_t value);
  void write_uint32(std::uint32_t value);
  void write_float64(double value);
  void write_bool(bool value);
  void write_uuid(const Uuid& value);

  void write_unsigned_varint(std::uint32_t value);
  // Zig-zag signed varints of the record format.
  void write_varint(std::int32_t value);
  void write_varlong(std::int64_t value);

  void write_string(std::string_view value);
  void write_nullable_string(const std::optional<std::string_view>& value);
  void write_compact_string(std::string_view value);
  void write_compact_nullable_string(const std::optional<std::string_view>& value);

  void write_bytes(BytesView value);
  void write_nullable_bytes(const std::optional<BytesView>& value);
  void write_compact_bytes(BytesView value);
  void write_compact_nullable_bytes(const std::optional<BytesView>& value);

  // The compact form when `flexible`, else the classic one (see Reader::read_string).
  void write_string(std::string_view value, bool flexible) {
    if (flexible) {
      write_compact_string(value);
    } else {
      write_string(value);
    }
  }
  void write_nullable_string(const std::optional<std::string_view>& value, bool flexible) {
    if (flexible) {
      write_compact_nullable_string(value);
    } else {
      write_nullable_string(value);
    }
  }
  void write_bytes(BytesView value, bool flexible) {
    if (flexible) {
      write_compact_bytes(value);
    } else {
      write_bytes(value);
    }
  }
  void write_nullable_bytes(const std::optional<BytesView>& value, bool flexible) {
    if (flexible) {
      write_compact_nullable_bytes(value);
    } else {
      write_nullable_bytes(value);
    }
  }

  // A `records` field: nullable bytes, compact when flexible. The bytes are copied in.
  void write_records(const std::optional<BytesView>& value, bool flexible);
  void write_raw(BytesView value);

  // An array's element count; -1 writes a null array.
  void write_array_length(std::int32_t count, bool flexible);

  // Writes one tagged field: tag, payload size, payload.
  void write_tagged_field(std::uint32_t tag, BytesView payload);

 private:
  void append(const void* data, std::size_t n);

  Bytes buffer_;
};

// Writes preserved unknown tagged fields interleaved with known ones so that the whole
// section comes out in increasing tag order, as Kafka requires.
class UnknownTaggedFieldsCursor {
 public:
  explicit UnknownTaggedFieldsCursor(const UnknownTaggedFields& fields);
  // Writes every not-yet-written unknown field whose tag is below `tag`.
  void write_before(Writer& writer, std::uint32_t tag);
  void write_rest(Writer& writer);

 private:
  const UnknownTaggedFields& fields_;
  std::vector<std::size_t> order_;  // indexes into fields_, sorted by tag
  std::size_t next_ = 0;
};

}  // namespace weir::protocol
