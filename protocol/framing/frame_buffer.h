// The bytes of one request frame (after its size prefix), allocated without being zeroed:
// the socket read overwrites every byte, and value-initialising a large produce frame
// first cost about 6% of the broker's instructions per produced record.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>

#include "protocol/wire/types.h"

namespace weir::protocol {

class FrameBuffer {
 public:
  // The contents are indeterminate until written; read only what has been filled in.
  explicit FrameBuffer(std::size_t size)
      : bytes_(std::make_unique_for_overwrite<std::byte[]>(size)), size_(size) {}

  // A frame built in memory rather than read from a socket (tests, in-process callers).
  static FrameBuffer copy_of(BytesView bytes) {
    FrameBuffer buffer(bytes.size());
    std::copy(bytes.begin(), bytes.end(), buffer.data());
    return buffer;
  }

  std::byte* data() { return bytes_.get(); }
  const std::byte* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }
  BytesView view() const { return {bytes_.get(), size_}; }

 private:
  std::unique_ptr<std::byte[]> bytes_;
  std::size_t size_;
};

}  // namespace weir::protocol
