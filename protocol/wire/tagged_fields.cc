#include "protocol/wire/tagged_fields.h"

namespace weir::protocol {

void read_unknown_tagged_fields(Reader& reader, UnknownTaggedFields& unknown) {
  read_tagged_fields(reader, unknown, [](std::uint32_t, BytesView) { return false; });
}

void write_unknown_tagged_fields(Writer& writer, const UnknownTaggedFields& unknown) {
  writer.write_unsigned_varint(static_cast<std::uint32_t>(unknown.size()));
  UnknownTaggedFieldsCursor cursor(unknown);
  cursor.write_rest(writer);
}

}  // namespace weir::protocol
