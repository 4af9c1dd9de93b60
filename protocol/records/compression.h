// The record batch codecs Kafka defines (attributes bits 0-2): gzip, snappy, lz4 and
// zstd, over Debian's zlib, snappy, lz4 and zstd libraries. Pure functions, no I/O,
// thread-safe.
//
// What each codec reads and writes, as Kafka's clients do:
//   gzip    RFC 1952 members (several concatenated members are read as one stream).
//   snappy  read: raw snappy (librdkafka) or xerial framing (Java, kafka-python), told
//           apart by the xerial magic; write: xerial framing, which every client reads.
//   lz4     the LZ4 frame format; written with independent 64 KiB blocks, which Kafka's
//           own frame reader requires.
//   zstd    zstd frames; written at level 3, Kafka's default.
#pragma once

#include <cstddef>

#include "protocol/records/record_batch.h"
#include "protocol/wire/types.h"

namespace weir::protocol::records {

enum class CodecError {
  none,
  corrupt,      // not a valid stream of that codec (or truncated)
  too_large,    // the output would exceed the limit the caller gave
  unsupported,  // Compression::none or a codec number Kafka does not define
};

// Appends the decompressed form of `input` to *out. Never writes more than
// `max_output_bytes` into *out: a stream that would is too_large, so a small batch cannot
// make the broker allocate without bound.
CodecError decompress(Compression codec, BytesView input, std::size_t max_output_bytes, Bytes* out);

// What a produced batch whose payload failed to decompress is answered with:
// MESSAGE_TOO_LARGE, UNSUPPORTED_COMPRESSION_TYPE or CORRUPT_MESSAGE.
BatchError to_batch_error(CodecError error);

// Compresses `input`. Compression::none returns a copy.
Bytes compress(Compression codec, BytesView input);

const char* codec_name(Compression codec);

}  // namespace weir::protocol::records
