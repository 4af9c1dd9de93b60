// Decoding of non-nullable arrays, the most common shape in Kafka messages.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/wire/reader.h"

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

}  // namespace weir::protocol
