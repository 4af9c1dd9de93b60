#include "protocol/framing/frame.h"

namespace weir::protocol {

namespace {
constexpr std::int32_t smallest_request_header_bytes = 8;
}

FrameSizeStatus check_frame_size(std::int32_t size, std::int32_t max_request_bytes) {
  if (size < 0) return FrameSizeStatus::negative;
  if (size < smallest_request_header_bytes) return FrameSizeStatus::too_small;
  if (size > max_request_bytes) return FrameSizeStatus::too_large;
  return FrameSizeStatus::ok;
}

std::int32_t read_frame_size(const std::array<std::byte, frame_size_prefix_bytes>& prefix) {
  std::uint32_t value = 0;
  for (std::byte b : prefix) value = (value << 8) | static_cast<std::uint8_t>(b);
  return static_cast<std::int32_t>(value);
}

const char* describe(FrameSizeStatus status) {
  switch (status) {
    case FrameSizeStatus::ok:
      return "ok";
    case FrameSizeStatus::negative:
      return "negative frame size";
    case FrameSizeStatus::too_small:
      return "frame smaller than a request header";
    case FrameSizeStatus::too_large:
      return "frame larger than the maximum request size";
  }
  return "unknown";
}

}  // namespace weir::protocol
