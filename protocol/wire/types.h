// Vocabulary types shared by the wire reader/writer and the generated messages.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace weir::protocol {

// A Kafka UUID: 16 raw bytes. All-zero means "no id" (Kafka's Uuid.ZERO_UUID).
using Uuid = std::array<std::uint8_t, 16>;

// Owned bytes. Decoders copy into Bytes only for `bytes` fields; `records` stay views.
using Bytes = std::vector<std::byte>;

// Non-owning view into a buffer someone else keeps alive (usually a request frame).
using BytesView = std::span<const std::byte>;

// A tagged field this code does not know (a newer client, or a tag outside the
// version's taggedVersions). Kept verbatim so a re-encode loses nothing.
struct RawTaggedField {
  std::uint32_t tag = 0;
  Bytes data;
};

using UnknownTaggedFields = std::vector<RawTaggedField>;

}  // namespace weir::protocol
