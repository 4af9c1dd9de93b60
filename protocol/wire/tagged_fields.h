// The tagged-field section that ends every struct of a flexible message version, and the
// rule for when a tagged struct is written at all. Shared by all generated codecs.
#pragma once

#include <cstdint>

#include "protocol/wire/reader.h"
#include "protocol/wire/types.h"
#include "protocol/wire/writer.h"

namespace weir::protocol {

// Reads a tagged-field section. `decode_known(tag, payload)` returns true when it took the
// field; every other field is kept verbatim in `unknown` (cleared first) so a re-encode
// loses nothing. A malformed section, or decode_known calling reader.fail(), stops the
// loop and leaves reader !ok().
template <typename DecodeKnownField>
void read_tagged_fields(Reader& reader, UnknownTaggedFields& unknown,
                        DecodeKnownField decode_known) {
  unknown.clear();
  const std::uint32_t count = reader.read_tagged_field_count();
  for (std::uint32_t i = 0; i < count && reader.ok(); ++i) {
    const std::uint32_t tag = reader.read_unsigned_varint();
    const BytesView payload = reader.read_tagged_field_payload();
    if (!reader.ok()) break;
    if (!decode_known(tag, payload)) {
      unknown.push_back(RawTaggedField{tag, Bytes(payload.begin(), payload.end())});
    }
  }
}

// A struct without known tagged fields at this version: every field is unknown.
void read_unknown_tagged_fields(Reader& reader, UnknownTaggedFields& unknown);

// Writes a tagged-field section holding only `unknown`, in increasing tag order.
void write_unknown_tagged_fields(Writer& writer, const UnknownTaggedFields& unknown);

// Kafka writes a tagged struct field only when it differs from the struct's default.
// Comparing encodings (not members) makes fields absent from `version` not count.
template <typename Struct>
bool encoding_differs_from_default(const Struct& value, std::int16_t version) {
  Writer actual;
  value.encode(actual, version);
  Writer defaults;
  Struct().encode(defaults, version);
  return actual.buffer() != defaults.buffer();
}

}  // namespace weir::protocol
