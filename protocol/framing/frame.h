// Kafka framing: every request and response is an int32 size N followed by N bytes.
// Pure functions over bytes; the server owns the sockets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace weir::protocol {

inline constexpr std::size_t frame_size_prefix_bytes = 4;

enum class FrameSizeStatus { ok, negative, too_small, too_large };

// Checks a frame's size prefix against the configured maximum. The smallest useful
// request is a v0 header (api key, version, correlation id): 8 bytes.
FrameSizeStatus check_frame_size(std::int32_t size, std::int32_t max_request_bytes);

std::int32_t read_frame_size(const std::array<std::byte, frame_size_prefix_bytes>& prefix);

const char* describe(FrameSizeStatus status);

}  // namespace weir::protocol
