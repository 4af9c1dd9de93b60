// Reading and writing the elements of an array field, the most common shape in Kafka
// messages. The caller says how one element is read or written.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace weir::protocol {

// Reads an array's length, then `read_element(item)` for each new element appended to
// `items` (cleared first). A null array fails the reader, since the field is not nullable
// at this version; the element loop also stops at the first failure, so a bogus count
// never allocates more than remaining() allows.
template <typename Element, typename ReadElement>
void read_array(Reader& reader, std::vector<Element>& items, bool flexible,
                ReadElement read_element) {
  const std::int32_t count = reader.read_array_length(flexible);
  if (count < 0) {
    reader.fail();
    return;
  }
  items.clear();
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) read_element(items.emplace_back());
}

// Writes the array's length, then `write_element(item)` for each element in order. A null
// array (of a nullable field) is the caller's: write_array_length(-1, flexible).
template <typename Element, typename WriteElement>
void write_array(Writer& writer, const std::vector<Element>& items, bool flexible,
                 WriteElement write_element) {
  writer.write_array_length(static_cast<std::int32_t>(items.size()), flexible);
  for (const auto& item : items) write_element(item);
}

}  // namespace weir::protocol
