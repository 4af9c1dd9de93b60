#include "protocol/records/compressed_batch.h"

#include <algorithm>

namespace weir::protocol::records {
namespace {

constexpr std::size_t kBatchLengthAt = 8;
constexpr std::size_t kAttributesAt = 21;
constexpr std::int16_t kCompressionMask = 0x07;

void write_be32(std::byte* p, std::uint32_t value) {
  for (int i = 3; i >= 0; --i) {
    p[i] = static_cast<std::byte>(value & 0xff);
    value >>= 8;
  }
}

}  // namespace

BatchError decompress_records(const ValidatedBatch& batch, std::size_t max_uncompressed_bytes,
                              Bytes* records) {
  records->clear();
  if (batch.bytes.size() < kBatchHeaderSize) return BatchError::invalid_record;
  const BytesView payload = batch.bytes.subspan(kBatchHeaderSize);
  const auto codec = static_cast<Compression>(batch.header.compression());
  if (codec == Compression::none) {
    records->assign(payload.begin(), payload.end());
  } else if (const BatchError error =
                 to_batch_error(decompress(codec, payload, max_uncompressed_bytes, records));
             error != BatchError::none) {
    return error;
  }
  return validate_records(batch.header, *records);
}

Bytes rebuild_batch(const ValidatedBatch& batch, BytesView records, Compression codec) {
  const Bytes payload = compress(codec, records);
  // Sized up front and filled by copy: GCC 12 at -O3 reports a false stringop-overflow
  // for reserve() followed by two insert() calls here.
  Bytes out(kBatchHeaderSize + payload.size());
  std::copy_n(batch.bytes.begin(), kBatchHeaderSize, out.begin());
  std::copy(payload.begin(), payload.end(), out.begin() + static_cast<long>(kBatchHeaderSize));
  write_be32(out.data() + kBatchLengthAt,
             static_cast<std::uint32_t>(out.size() - kBatchLengthOverhead));
  const auto attributes = static_cast<std::int16_t>((batch.header.attributes & ~kCompressionMask) |
                                                    static_cast<std::int16_t>(codec));
  out[kAttributesAt] = static_cast<std::byte>((attributes >> 8) & 0xff);
  out[kAttributesAt + 1] = static_cast<std::byte>(attributes & 0xff);
  recompute_crc(out);
  return out;
}

}  // namespace weir::protocol::records
